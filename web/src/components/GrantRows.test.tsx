import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../api/client";
import { RequireAuth, SessionProvider } from "../auth/session";
import { renderPart, signedInAs } from "../test/app";
import { type Grant, GrantRows } from "./GrantRows";

const app = (id: string, boundary: string, units: string[]) => ({ id, name: id, boundary, business_units: units }) as never;
let latest: Grant[] = [];

function Editor({ initial }: { initial: Grant[] }) {
  const [grants, setGrants] = useState(initial);
  latest = grants;
  return <GrantRows grants={grants} onChange={setGrants} idPrefix="t" />;
}

beforeEach(() => {
  vi.restoreAllMocks();
  signedInAs("platform_admin");
  vi.spyOn(api.applications, "list").mockResolvedValue([app("sap", "acme", ["finance"]), app("zip", "acme", ["engineering"]), app("code", "globex", ["*"])]);
});

describe("a person's roles in the settings editor", () => {
  it("pick each scope from the boundaries and units Fleetgate knows, never free text", async () => {
    const user = userEvent.setup({ delay: null });
    renderPart(
      <SessionProvider>
        <RequireAuth>
          <Editor initial={[{ role: "publisher", boundary: "acme", business_units: ["finance", "legacy"] }]} />
        </RequireAuth>
      </SessionProvider>,
    );
    const boundary = await screen.findByRole("combobox", { name: "Scope 1: boundary" });
    await waitFor(() => expect(within(boundary).getAllByRole("option").map((o) => o.textContent)).toEqual(["Every boundary", "acme", "globex"]));
    const units = screen.getByRole("group", { name: "Scope 1: business units" });
    // a unit the grant holds but Fleetgate no longer knows stays, ticked, so saving changes nothing silently
    expect(within(units).getAllByRole("checkbox").map((c) => c.parentElement?.textContent?.trim())).toEqual(["All business units", "engineering", "finance", "legacy"]);
    await user.selectOptions(boundary, "globex");
    expect(latest[0]).toEqual({ role: "publisher", boundary: "globex", business_units: [] }); // acme's units do not carry over
    await user.click(screen.getByRole("button", { name: "Add a role" }));
    expect(screen.getByRole("combobox", { name: "Scope 2: boundary" })).toHaveValue("*");
    expect(within(screen.getByRole("group", { name: "Scope 2: business units" })).getByRole("checkbox", { name: "All business units" })).toBeChecked();
  });
});
