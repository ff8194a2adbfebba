import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../api/client";
import { ApiProblem } from "../api/problem";
import { type BundleExport, type BundleImport, type DistributionStrategy, type Site, sites } from "../api/sites";
import { Sites } from "./Sites";

const AUDITOR = { username: "auditor", time_zone: "UTC", roles: [] };
const ADMIN = { username: "admin", time_zone: "UTC", roles: [{ role: "platform_admin", boundary: "*", business_units: ["*"] }] };
let USER: unknown = AUDITOR;
vi.mock("../auth/session", () => ({ useUser: () => USER }));
afterEach(() => {
  vi.restoreAllMocks();
  USER = AUDITOR;
});

const SITE = {
  id: "s1",
  name: "vault-north",
  title: "",
  site_class: "air_gapped",
  boundary: "acme",
  plane: "sccm",
  connector_name: "vault-sccm",
  time_zone: "Europe/Berlin",
  key_id: "0123456789abcdef",
  public_key_pem: "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n",
  active: true,
  etag: '"s1.2"',
} as Site;
const STRATEGY = {
  site_class: "air_gapped",
  distribution: "signed_bundle",
  results: "signed_results_bundle",
  vuln_snapshot_max_age_days: 7,
  policy_version: "1.0",
} as DistributionStrategy;
const EXPORTED = {
  id: "e1e1e1e1-0000",
  kind: "intent",
  intent_name: "firefox-128",
  site_name: "vault-north",
  manifest_sha256: "ab".repeat(32),
  vuln_snapshot_date: "2026-12-01T06:00:00Z",
  created_by: "publisher",
  created_at: "2026-12-02T08:00:00Z",
} as BundleExport;
const IMPORTED = {
  id: "i1",
  bundle_id: "b2b2b2b2-0000",
  kind: "results",
  intent_name: "firefox-128",
  site_name: "vault-north",
  signer_key_id: "fedcba9876543210",
  imported_by: "ops",
  imported_at: "2026-12-09T08:00:00Z",
} as BundleImport;

describe("the sites page", () => {
  it("lists sites in words, each class's strategy, and the bundles both ways", async () => {
    vi.spyOn(sites, "list").mockResolvedValue([SITE]);
    vi.spyOn(sites, "strategies").mockResolvedValue([STRATEGY]);
    vi.spyOn(sites, "exports").mockResolvedValue({ results: [EXPORTED], next: null, previous: null });
    vi.spyOn(sites, "imports").mockResolvedValue({ results: [IMPORTED], next: null, previous: null });
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <MemoryRouter>
          <Sites />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    const siteTable = await screen.findByRole("table", { name: "Sites" });
    expect(within(siteTable).getByText("Air-gapped")).toBeTruthy();
    expect(within(siteTable).getByText("Configuration Manager (SCCM) (vault-sccm)")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Register a site|Edit/ })).toBeNull(); // only a Platform Admin writes
    const strategies = await screen.findByRole("table", { name: "Distribution strategy per site class" });
    expect(within(strategies).getByText("Signed offline bundles only")).toBeTruthy();
    expect(within(strategies).getByText("at most 7 days old")).toBeTruthy();
    const exported = await screen.findByRole("table", { name: "Bundles exported" });
    expect(within(exported).getByText("firefox-128")).toBeTruthy();
    expect(within(exported).getByText("e1e1e1e1")).toBeTruthy();
    const imported = await screen.findByRole("table", { name: "Bundles imported" });
    expect(within(imported).getByText("Results")).toBeTruthy();
    expect(within(imported).getByText("fedcba9876543210")).toBeTruthy();
  });

  it("says who registers sites when there are none", async () => {
    vi.spyOn(sites, "list").mockResolvedValue([]);
    vi.spyOn(sites, "strategies").mockResolvedValue([]);
    vi.spyOn(sites, "exports").mockResolvedValue({ results: [], next: null, previous: null });
    vi.spyOn(sites, "imports").mockResolvedValue({ results: [], next: null, previous: null });
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <MemoryRouter>
          <Sites />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    expect(await screen.findByText("No site is registered yet. A Platform Admin registers sites.")).toBeTruthy();
    expect(await screen.findByText("No bundles exported yet.")).toBeTruthy();
  });
});

function showSites(list: Site[]) {
  vi.spyOn(sites, "list").mockResolvedValue(list);
  vi.spyOn(sites, "strategies").mockResolvedValue([STRATEGY]);
  vi.spyOn(sites, "exports").mockResolvedValue({ results: [], next: null, previous: null });
  vi.spyOn(sites, "imports").mockResolvedValue({ results: [], next: null, previous: null });
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter>
        <Sites />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("a Platform Admin registers and edits sites", () => {
  it("registers a site; the server's errors land on the fields", async () => {
    USER = ADMIN;
    const refused = new ApiProblem({
      type: "urn:x",
      title: "The request is not valid",
      status: 400,
      code: "validation-error",
      detail: "The site is not valid; fix the listed fields.",
      correlation_id: "c",
      errors: [
        { field: "name", rule: "slug", message: "Use lowercase letters, digits and hyphens, e.g. vault-north." },
        { field: "public_key_pem", rule: "required", message: "An air-gapped site returns signed results: give its installation's Ed25519 bundle key." },
      ],
    });
    vi.spyOn(api.applications, "list").mockResolvedValue([{ id: "a1", name: "SAP GUI", boundary: "acme", business_units: ["finance"] }, { id: "a2", name: "VS Code", boundary: "globex", business_units: ["*"] }] as never);
    const register = vi.spyOn(sites, "register").mockRejectedValueOnce(refused).mockResolvedValueOnce({ ...SITE, id: "s2", name: "vault-south", title: "" } as Site);
    showSites([SITE]);
    await userEvent.click(await screen.findByRole("button", { name: "Register a site…" }));
    expect(screen.getByRole("heading", { name: "Register a site" })).toHaveFocus();
    await userEvent.type(screen.getByLabelText("Name"), "Vault South");
    await userEvent.selectOptions(screen.getByLabelText("Site class"), "air_gapped");
    // The boundary is picked from those Fleetgate knows (the applications' and the grants').
    const boundary = screen.getByRole("combobox", { name: "Boundary" });
    await waitFor(() => expect(within(boundary).getAllByRole("option").map((o) => o.getAttribute("value"))).toEqual(["", "acme", "globex"]));
    await userEvent.selectOptions(boundary, "acme");
    await userEvent.selectOptions(screen.getByLabelText("Execution plane"), "sccm");
    await userEvent.click(screen.getByRole("button", { name: "Register site" }));
    expect(register).toHaveBeenCalledWith(expect.objectContaining({ name: "Vault South", site_class: "air_gapped", boundary: "acme", plane: "sccm", time_zone: "UTC" }));
    const name = await screen.findByLabelText("Name");
    await waitFor(() => expect(name).toHaveAttribute("aria-invalid", "true"));
    expect(name).toHaveAccessibleDescription(/Use lowercase letters/);
    expect(screen.getByLabelText("Bundle key of the site's Fleetgate (PEM)")).toHaveAccessibleDescription(/needs one.*give its installation's Ed25519 bundle key/s);
    expect(screen.getByRole("alert")).toHaveTextContent("see the marked fields");
    await userEvent.clear(name);
    await userEvent.type(name, "vault-south");
    await userEvent.type(screen.getByLabelText("Bundle key of the site's Fleetgate (PEM)"), "PEM");
    await userEvent.click(screen.getByRole("button", { name: "Register site" }));
    expect(await screen.findByText("Site “vault-south” is registered.")).toHaveAttribute("role", "status");
    expect(screen.queryByRole("heading", { name: "Register a site" })).toBeNull();
  });

  it("edits a site with its ETag; the name stays", async () => {
    USER = ADMIN;
    const update = vi.spyOn(sites, "update").mockResolvedValue({ ...SITE, title: "Vault North" } as Site);
    showSites([SITE]);
    await userEvent.click(await screen.findByRole("button", { name: "Edit vault-north…" }));
    expect(screen.getByRole("heading", { name: "Edit site “vault-north”" })).toHaveFocus();
    expect(screen.queryByLabelText("Name")).toBeNull();
    expect((screen.getByLabelText("Time zone") as HTMLSelectElement).value).toBe("Europe/Berlin");
    expect((screen.getByLabelText("Connector (optional)") as HTMLInputElement).value).toBe("vault-sccm");
    await userEvent.type(screen.getByLabelText("Title (optional)"), "Vault North");
    await userEvent.click(screen.getByRole("checkbox", { name: /Active/ }));
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    expect(update).toHaveBeenCalledWith("s1", '"s1.2"', expect.objectContaining({ title: "Vault North", active: false, time_zone: "Europe/Berlin", plane: "sccm" }));
    expect(await screen.findByText("Site “Vault North” is saved.")).toHaveAttribute("role", "status");
  });
});
