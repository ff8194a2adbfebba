import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../api/client";
import { renderPart } from "../test/app";
import { RoleRequests } from "./RoleRequests";

const ADMIN = { username: "admin", time_zone: "UTC", roles: [{ role: "platform_admin", boundary: "*", business_units: ["*"] }] };
vi.mock("../auth/session", () => ({ useUser: () => ADMIN }));
const app = (id: string, boundary: string, units: string[]) => ({ id, name: id, boundary, business_units: units }) as never;

beforeEach(() => {
  vi.restoreAllMocks();
  vi.spyOn(api.grantRequests, "list").mockResolvedValue([] as never);
  vi.spyOn(api.users, "list").mockResolvedValue([{ id: 7, username: "newcomer", is_active: true, service_account: false }] as never);
  vi.spyOn(api.applications, "list").mockResolvedValue([app("sap", "acme", ["finance"]), app("code", "globex", ["*"])]);
});

describe("a role-grant request's scope is picked from what Fleetgate knows", () => {
  it("offers every boundary or a known one, and all units or the ones known there", async () => {
    const create = vi.spyOn(api.grantRequests, "create").mockRejectedValue(new Error("stop here"));
    const user = userEvent.setup({ delay: null });
    renderPart(<RoleRequests />);
    const boundary = await screen.findByRole("combobox", { name: "Boundary" });
    expect(boundary).toHaveValue("*");
    await waitFor(() => expect(within(boundary).getAllByRole("option").map((o) => o.textContent)).toEqual(["Every boundary", "acme", "globex"]));
    const units = screen.getByRole("group", { name: "Business units" });
    await user.selectOptions(boundary, "acme");
    await user.click(within(units).getByRole("checkbox", { name: "All business units" }));
    await user.click(within(units).getByRole("checkbox", { name: "finance" }));
    // globex knows no unit by name: only all of them, and the unit ticked for acme is dropped.
    await user.selectOptions(boundary, "globex");
    expect(within(units).getAllByRole("checkbox")).toHaveLength(1);
    expect(within(units).getByText(/knows no business unit by name yet/)).toBeInTheDocument();
    await user.click(within(units).getByRole("checkbox", { name: "All business units" }));
    await user.selectOptions(await screen.findByLabelText("For user"), "7");
    await user.type(screen.getByLabelText(/Why the role is needed/), "Joins the change board.");
    await user.click(screen.getByRole("button", { name: "File the request" }));
    await waitFor(() => expect(create).toHaveBeenCalledWith(expect.objectContaining({ boundary: "globex", business_units: ["*"] })));
  });
});
