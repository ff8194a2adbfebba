import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../api/client";
import { renderApp, signedInAs } from "../test/app";

const app = (id: string, boundary: string, units: string[]) => ({ id, name: id, boundary, business_units: units }) as never;
const values = (select: HTMLElement) =>
  within(select)
    .getAllByRole("option")
    .map((o) => o.getAttribute("value"));

beforeEach(() => {
  vi.restoreAllMocks();
  vi.spyOn(api.windows, "list").mockResolvedValue({ next: null, previous: null, results: [] } as never);
  vi.spyOn(api.freeze, "get").mockResolvedValue({ active: false } as never);
});

describe("the maintenance window form picks its scope", () => {
  it("offers the boundaries Fleetgate knows and, per boundary, its units or all of them", async () => {
    signedInAs("platform_admin");
    vi.spyOn(api.applications, "list").mockResolvedValue([app("sap", "acme", ["finance"]), app("zip", "acme", ["engineering"]), app("code", "globex", ["*"])]);
    const create = vi.spyOn(api.windows, "create").mockRejectedValue(new Error("stop here"));
    const user = userEvent.setup({ delay: null });
    renderApp("/windows");
    const form = await screen.findByRole("form", { name: /Add a maintenance window/ });
    const boundary = within(form).getByRole("combobox", { name: "Boundary" });
    await waitFor(() => expect(values(boundary)).toEqual(["", "acme", "globex"]));
    const unit = within(form).getByRole("combobox", { name: "Business unit" });
    expect(values(unit)).toEqual([""]);
    expect(unit).toHaveDisplayValue("All business units");
    await user.selectOptions(boundary, "acme");
    expect(values(unit)).toEqual(["", "engineering", "finance"]);
    await user.selectOptions(unit, "finance");
    // Another boundary drops a unit that is not known there.
    await user.selectOptions(boundary, "globex");
    expect(unit).toHaveValue("");
    expect(values(unit)).toEqual([""]);
    await user.click(within(form).getByRole("button", { name: "Add" }));
    await waitFor(() => expect(create).toHaveBeenCalledWith(expect.objectContaining({ boundary: "globex", business_unit: "" })));
  });

  it("offers only the boundaries the person's grant covers, and preselects the only one", async () => {
    signedInAs("endpoint_ops", { boundary: "acme" });
    vi.spyOn(api.applications, "list").mockResolvedValue([app("sap", "acme", ["finance"]), app("code", "globex", ["*"])]);
    renderApp("/windows");
    const form = await screen.findByRole("form", { name: /Add a maintenance window/ });
    const boundary = within(form).getByRole("combobox", { name: "Boundary" });
    await waitFor(() => expect(boundary).toHaveValue("acme"));
    expect(values(boundary)).toEqual(["", "acme"]);
  });

  it("falls back to typing, with a sentence, when Fleetgate knows no boundary", async () => {
    signedInAs("platform_admin");
    vi.spyOn(api.applications, "list").mockResolvedValue([]);
    renderApp("/windows");
    const form = await screen.findByRole("form", { name: /Add a maintenance window/ });
    const boundary = await within(form).findByRole("textbox", { name: "Boundary" });
    expect(boundary).toHaveAccessibleDescription(/knows no boundary yet/);
  });
});
