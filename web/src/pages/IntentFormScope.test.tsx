import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api, type Intent } from "../api/client";
import { groups } from "../api/groups";
import { intentTargets, knownScopes } from "../lib/catalog";
import { renderApp } from "../test/app";

const SAP = "11111111-1111-1111-1111-111111111111";
const ZIP = "22222222-2222-2222-2222-222222222222";
const CODE = "33333333-3333-3333-3333-333333333333";
const ZOOM = "44444444-4444-4444-4444-444444444444";
const app = (id: string, name: string, boundary: string, units: string[]) =>
  ({ id, name, vendor: "v", category: "business", platforms: ["windows"], boundary, business_units: units, version_count: 1, updated_at: "2026-01-01T00:00:00Z" }) as never;
const APPS = [app(SAP, "SAP GUI", "acme", ["finance"]), app(ZIP, "7-Zip", "acme", ["finance", "engineering", "research"]), app(CODE, "VS Code", "globex", ["*"]), app(ZOOM, "Zoom", "acme", ["*"])];
const publisher = { id: "3", username: "publisher", kind: "user", time_zone: "UTC", roles: [{ role: "publisher", boundary: "acme", business_units: ["finance", "engineering", "sales"] }] };

beforeEach(() => {
  vi.restoreAllMocks();
  vi.spyOn(api, "session").mockResolvedValue({ authenticated: true, user: publisher } as never);
  vi.spyOn(api.applications, "list").mockResolvedValue(APPS);
  vi.spyOn(api.versions, "list").mockResolvedValue({ next: null, previous: null, results: [] });
  vi.spyOn(api.ringPolicies, "list").mockResolvedValue([]);
  vi.spyOn(groups, "sources").mockResolvedValue([] as never);
});

const options = (label: string) =>
  within(screen.getByLabelText(label))
    .getAllByRole("option")
    .map((o) => o.getAttribute("value"));

async function openForm() {
  const user = userEvent.setup({ delay: null });
  renderApp("/intents/new");
  await waitFor(() => expect(screen.getByRole("option", { name: /SAP GUI/ })).toBeInTheDocument());
  return user;
}

describe("the intent form's target scope is picked, not typed", () => {
  it("is disabled until an application is chosen", async () => {
    await openForm();
    for (const label of ["Boundary", "Business unit"]) {
      const select = screen.getByRole("combobox", { name: label });
      expect(select).toBeDisabled();
      expect(within(select).getByRole("option")).toHaveTextContent("Choose an application first");
    }
    expect(screen.queryByRole("textbox", { name: "Boundary" })).toBeNull();
  });

  it("offers the application's boundary and only the units a publisher grant covers", async () => {
    const user = await openForm();
    await user.selectOptions(screen.getByLabelText("Application"), ZIP);
    const boundary = screen.getByRole("combobox", { name: "Boundary" });
    expect(boundary).toBeEnabled();
    expect(boundary).toHaveValue("acme");
    expect(options("Boundary")).toEqual(["", "acme"]);
    // research is the application's but outside the grant; sales is the grant's but not the application's.
    expect(options("Business unit")).toEqual(["", "engineering", "finance"]);
    expect(screen.getByLabelText("Business unit")).toHaveValue("");
    await user.selectOptions(screen.getByLabelText("Business unit"), "engineering");
    // Another application keeps a unit it allows too.
    await user.selectOptions(screen.getByLabelText("Application"), SAP);
    expect(options("Business unit")).toEqual(["", "finance"]);
    expect(screen.getByLabelText("Business unit")).toHaveValue("finance");
  });

  it("offers the grant's units for an application open to every unit", async () => {
    const user = await openForm();
    await user.selectOptions(screen.getByLabelText("Application"), ZOOM);
    // research (known from 7-Zip) is outside the grant, so it is not offered.
    expect(options("Business unit")).toEqual(["", "engineering", "finance", "sales"]);
  });

  it("says so, in words, when the application's scope and the grants have nothing in common", async () => {
    const user = await openForm();
    await user.selectOptions(screen.getByLabelText("Application"), CODE);
    const boundary = screen.getByRole("combobox", { name: "Boundary" });
    expect(boundary).toBeDisabled();
    expect(boundary).toHaveAccessibleDescription(/None of your publisher grants covers VS Code's boundary \(globex\)/);
    expect(options("Boundary")).toEqual([""]);
    expect(screen.getByRole("combobox", { name: "Business unit" })).toBeDisabled();
  });

  it("keeps a draft's value the list lacks, so nothing changes silently", async () => {
    vi.spyOn(api.intents, "get").mockResolvedValue({
      id: "i1", name: "sap-x", title: "SAP", change_reason: "", application: SAP, application_name: "SAP GUI", version: "8.0.11",
      target_boundary: "acme", target_business_unit: "sales", target_site_classes: ["online"],
      ring_plan: [{ ring: "lab", target_group: "G", device_count: 1 }], rollback_plan: { strategy: "uninstall" },
      ring_policy: "1.0", state: "draft", publisher: "publisher", etag: '"i1.1"', target_devices: 1, allowed_actions: ["update"],
    } as unknown as Intent);
    renderApp("/intents/i1/edit");
    await screen.findByLabelText("Title");
    await waitFor(() => expect(options("Business unit")).toEqual(["", "finance", "sales"]));
    expect(screen.getByLabelText("Business unit")).toHaveValue("sales");
    expect(screen.getByLabelText("Boundary")).toHaveValue("acme");
  });
});

describe("the known scopes helpers", () => {
  it("unite the applications' and the grants' values, without the every-value mark", () => {
    const me = { ...publisher, roles: [...publisher.roles, { role: "auditor", boundary: "*", business_units: ["*"] }] } as never;
    expect(knownScopes(me, APPS)).toEqual({ boundaries: ["acme", "globex"], businessUnits: ["engineering", "finance", "research", "sales"] });
    expect(knownScopes(me, APPS, { boundary: "globex" }).businessUnits).toEqual([]);
    // Kept to what the publisher grant covers.
    expect(knownScopes(me, APPS, { roles: ["publisher"] })).toEqual({ boundaries: ["acme"], businessUnits: ["engineering", "finance", "sales"] });
  });
  it("let a typed unit through only where every unit would do and none is known", () => {
    const globex = { ...publisher, roles: [{ role: "publisher", boundary: "globex", business_units: ["*"] }] } as never;
    expect(intentTargets(globex, APPS[2], APPS)).toEqual({ boundaries: ["globex"], businessUnits: [], openUnits: true });
    expect(intentTargets(publisher as never, APPS[2], APPS)).toEqual({ boundaries: [], businessUnits: [], openUnits: false });
  });
});
