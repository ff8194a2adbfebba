import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../api/client";
import { groups } from "../api/groups";
import { renderApp } from "../test/app";

const APP_ID = "11111111-1111-1111-1111-111111111111";
const source = (name: string, kind: string, word: string) => ({
  id: `id-${name}`,
  name,
  kind,
  plane: kind,
  group_word: word,
  platforms: ["windows", "macos"],
});

beforeEach(() => {
  vi.restoreAllMocks();
  vi.spyOn(api, "session").mockResolvedValue({
    authenticated: true,
    user: { id: "3", username: "publisher", kind: "user", time_zone: "UTC", roles: [{ role: "publisher", boundary: "acme", business_units: ["finance"] }] },
  } as never);
  vi.spyOn(api.applications, "list").mockResolvedValue([
    { id: APP_ID, name: "SAP GUI", vendor: "SAP", category: "business", platforms: ["windows", "macos"], boundary: "acme", business_units: ["finance"], version_count: 1, updated_at: "2026-01-01T00:00:00Z" } as never,
  ]);
  vi.spyOn(api.versions, "list").mockResolvedValue({ next: null, previous: null, results: [{ id: "v1", application: APP_ID, version: "8.0.11", created_by: "p", artifacts: [] } as never] });
  vi.spyOn(api.ringPolicies, "list").mockResolvedValue([]);
});

describe("the intent form's ring steps pick their groups from the planes", () => {
  it("asks the connectors serving the application and stores each plane's choice", async () => {
    const sources = vi.spyOn(groups, "sources").mockResolvedValue([source("sccm-acme", "sccm", "device collections"), source("jamf-acme", "jamf", "computer groups")] as never);
    vi.spyOn(groups, "list").mockImplementation(async (id) => ({
      connector: source(id, "x", "groups"),
      query: "",
      limit: 50,
      truncated: false,
      groups: id === "id-sccm-acme" ? [{ id: "PS1", name: "FG-LAB", value: "FG-LAB", member_count: 8 }] : [{ id: "7", name: "Mac Lab", value: "Mac Lab", member_count: null }],
    }) as never);
    const create = vi.spyOn(api.intents, "create").mockRejectedValue(new Error("stop here"));
    const user = userEvent.setup({ delay: null });
    renderApp("/intents/new");
    await screen.findByRole("heading", { level: 1, name: "New intent" });
    await waitFor(() => expect(screen.getByRole("option", { name: /SAP GUI/ })).toBeInTheDocument());
    await user.selectOptions(screen.getByLabelText("Application"), APP_ID);
    const step1 = screen.getByRole("group", { name: /^Step 1/ });
    await waitFor(() => expect(sources).toHaveBeenCalledWith(["windows", "macos"], "acme"));
    await user.click(await within(step1).findByRole("combobox", { name: "Target group" }));
    await user.click(await within(step1).findByRole("option", { name: /FG-LAB/ }));
    await user.click(within(step1).getByRole("combobox", { name: "Target group on jamf-acme" }));
    await user.click(await within(step1).findByRole("option", { name: "Mac Lab" }));
    await user.type(within(step1).getByLabelText("Devices"), "8");
    await user.click(screen.getByRole("button", { name: "Create draft" }));
    await waitFor(() => expect(create).toHaveBeenCalled());
    expect(create.mock.calls[0]?.[0].ring_plan).toEqual([
      { ring: "lab", target_group: "FG-LAB", target_groups: { "jamf-acme": "Mac Lab" }, device_count: 8 },
    ]);
  });

  it("keeps free text, with a sentence, where no connector serves the application", async () => {
    vi.spyOn(groups, "sources").mockResolvedValue([] as never);
    const user = userEvent.setup({ delay: null });
    renderApp("/intents/new");
    await waitFor(() => expect(screen.getByRole("option", { name: /SAP GUI/ })).toBeInTheDocument());
    await user.selectOptions(screen.getByLabelText("Application"), APP_ID);
    const step1 = screen.getByRole("group", { name: /^Step 1/ });
    expect(await within(step1).findByText(/No connector serves this application here/)).toBeInTheDocument();
    expect(within(step1).queryByRole("combobox", { name: "Target group" })).toBeNull();
    expect(within(step1).getByRole("textbox", { name: "Target group" })).toBeInTheDocument();
  });
});
