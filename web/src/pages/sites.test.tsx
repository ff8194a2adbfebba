import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type BundleExport, type BundleImport, type DistributionStrategy, type Site, sites } from "../api/sites";
import { Sites } from "./Sites";

vi.mock("../auth/session", () => ({ useUser: () => ({ username: "auditor", time_zone: "UTC", roles: [] }) }));
afterEach(() => vi.restoreAllMocks());

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
  active: true,
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
    expect(within(siteTable).getByText("sccm (vault-sccm)")).toBeTruthy();
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
