/** SIEM destinations: the ledger streamed to syslog (TCP/TLS) and HTTPS receivers. */
import { api, type Schemas } from "./client";

export type SiemDestination = Schemas["SiemDestination"];
export type SiemDestinationWrite = Schemas["SiemDestinationWriteRequest"];
export type SiemDestinationUpdate = Schemas["PatchedSiemDestinationUpdateRequest"];
export type SiemKind = Schemas["SiemKindEnum"];
export type SiemTestResult = Schemas["SiemTestResult"];

export const siem = {
  list: () => api.call(api.typed.GET("/api/v1/siem/destinations/")),
  create: (body: SiemDestinationWrite) => api.call(api.typed.POST("/api/v1/siem/destinations/", { body })),
  /** Change what the API lets change (not the name or kind); `etag` from the last read (412 when stale). */
  update: (id: number, etag: string, body: SiemDestinationUpdate) =>
    api.call(
      api.typed.PATCH("/api/v1/siem/destinations/{id}/", { params: { path: { id }, header: { "If-Match": etag } }, body }),
    ),
  setEnabled: (id: number, enabled: boolean) =>
    api.call(
      api.typed.POST("/api/v1/siem/destinations/{id}/activation/", { params: { path: { id } }, body: { enabled } }),
    ),
  test: (id: number) => api.call(api.typed.POST("/api/v1/siem/destinations/{id}/test/", { params: { path: { id } } })),
  remove: (id: number) => api.call(api.typed.DELETE("/api/v1/siem/destinations/{id}/", { params: { path: { id } } })),
};

export const KIND_LABELS: Record<SiemKind, string> = {
  "syslog-tcp": "Syslog over TCP",
  "syslog-tls": "Syslog over TLS",
  "https-hec": "Splunk HEC",
  "https-json": "HTTPS JSON",
};

export const DEFAULT_PORTS: Record<SiemKind, number> = {
  "syslog-tcp": 514,
  "syslog-tls": 6514,
  "https-hec": 8088,
  "https-json": 443,
};

/** What a row's status says in words: caught up, behind, or failing (and since when). */
export function streamWords(d: SiemDestination): string {
  if (!d.enabled) return `Paused at sequence ${d.acknowledged_sequence}; resumes from there.`;
  if (d.consecutive_failures > 0) return `Failing (${d.consecutive_failures} in a row); retries with backoff.`;
  if (d.lag === 0) return "Caught up.";
  return `${d.lag} event${d.lag === 1 ? "" : "s"} to send.`;
}
