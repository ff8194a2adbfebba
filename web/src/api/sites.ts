/** Air-gapped sites: the site registry, the distribution strategy per site class, and the signed bundles
 * exported and imported here (the bundles themselves move as files between installations). */
import { api, type Schemas } from "./client";

export type Site = Schemas["Site"];
export type DistributionStrategy = Schemas["DistributionStrategy"];
export type BundleExport = Schemas["BundleExport"];
export type BundleImport = Schemas["BundleImport"];

export type SiteWrite = Schemas["SiteWriteRequest"];
export type SiteUpdate = Schemas["PatchedSiteUpdateRequest"];
export type Plane = Schemas["PlaneEnum"];

export const sites = {
  list: () => api.call(api.typed.GET("/api/v1/sites/")),
  register: (body: SiteWrite) => api.call(api.typed.POST("/api/v1/sites/", { body })),
  /** Change a site (not its name); `etag` from the last read (412 when someone changed it meanwhile). */
  update: (id: string, etag: string, body: SiteUpdate) =>
    api.call(api.typed.PATCH("/api/v1/sites/{id}/", { params: { path: { id }, header: { "If-Match": etag } }, body })),
  strategies: () => api.call(api.typed.GET("/api/v1/distribution-strategies/")),
  exports: (cursor?: string) =>
    api.call(api.typed.GET("/api/v1/bundle-exports/", { params: { query: { cursor, page_size: 50 } } })),
  imports: (cursor?: string) =>
    api.call(api.typed.GET("/api/v1/bundle-imports/", { params: { query: { cursor, page_size: 50 } } })),
};

export const SITE_CLASS_LABELS: Record<string, string> = {
  online: "Online",
  intermittent: "Intermittent",
  air_gapped: "Air-gapped",
};

/** How a site class is served, in words. */
export const DISTRIBUTION_LABELS: Record<string, string> = {
  connector: "Live through its connector",
  connector_or_bundle: "Its connector when reachable, else a signed bundle",
  signed_bundle: "Signed offline bundles only",
};

/** The execution planes a site's endpoints are managed by, in words. */
export const PLANE_LABELS: Record<Plane, string> = {
  intune: "Microsoft Intune",
  sccm: "Configuration Manager (SCCM)",
  jamf: "Jamf Pro",
  landscape: "Canonical Landscape",
  ansible: "Ansible AWX",
};
