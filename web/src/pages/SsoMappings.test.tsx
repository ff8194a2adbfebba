import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../api/client";
import { sso } from "../api/sso";
import { renderApp, signedInAs } from "../test/app";

const app = (id: string, boundary: string, units: string[]) => ({ id, name: id, boundary, business_units: units }) as never;

beforeEach(() => {
  vi.restoreAllMocks();
  signedInAs("platform_admin");
  vi.spyOn(sso, "mappings").mockResolvedValue([]);
  vi.spyOn(api.applications, "list").mockResolvedValue([app("sap", "acme", ["finance"]), app("zip", "acme", ["engineering"]), app("code", "globex", ["*"])]);
});

describe("an SSO mapping's scope is picked from what Fleetgate knows", () => {
  it("offers every boundary or a known one, and all units or known ones", async () => {
    const create = vi.spyOn(sso, "createMapping").mockResolvedValue({ id: 1, kind: "group", value: "g1", role: "publisher", boundary: "acme", business_units: ["finance"] } as never);
    const user = userEvent.setup({ delay: null });
    renderApp("/single-sign-on");
    const form = await screen.findByRole("form", { name: "Add a mapping" });
    const boundary = within(form).getByRole("combobox", { name: "Boundary" });
    expect(boundary).toHaveValue("*");
    await waitFor(() => expect(within(boundary).getAllByRole("option").map((o) => o.textContent)).toEqual(["Every boundary", "acme", "globex"]));
    const units = within(form).getByRole("group", { name: "Business units" });
    expect(within(units).getByRole("checkbox", { name: "All business units" })).toBeChecked();
    await user.selectOptions(boundary, "acme");
    expect(within(units).getAllByRole("checkbox").map((c) => c.parentElement?.textContent?.trim())).toEqual(["All business units", "engineering", "finance"]);
    await user.click(within(units).getByRole("checkbox", { name: "All business units" }));
    await user.click(within(units).getByRole("checkbox", { name: "finance" }));
    await user.type(within(form).getByLabelText("Group object id"), "g1");
    await user.click(within(form).getByRole("button", { name: "Add mapping" }));
    await waitFor(() => expect(create).toHaveBeenCalledWith(expect.objectContaining({ boundary: "acme", business_units: ["finance"] })));
  });
});
