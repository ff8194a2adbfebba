/** Risk over the API: the assess form's preview, assessing, replaying, and rubric versions. */
import { api, compact, type Schemas } from "./client";

export type RiskPreview = Schemas["Preview"];
export type RiskModel = Schemas["RiskModel"];
export type Assessment = Schemas["Assessment"];
export type ReplayResult = Schemas["Replay"];
export type Declared = Record<string, { option: string; justification: string }>;

export const risk = {
  /** What an assessment would derive now, and the factors a person declares (nothing stored). */
  preview: (intent: string, artifact?: string) =>
    api.call(api.typed.GET("/api/v1/risk-assessments/preview/", { params: { query: compact({ intent, artifact }) } })),
  assess: (intent: string, declared: Declared, artifact?: string) =>
    api.call(api.typed.POST("/api/v1/risk-assessments/", { body: { intent, declared, ...(artifact ? { artifact } : {}) } })),
  /** Recompute from the stored inputs and rubric; a 409 replay-mismatch names what differs. */
  replay: (id: string) => api.call(api.typed.POST("/api/v1/risk-assessments/{id}/replay/", { params: { path: { id } } })),
  models: () => api.call(api.typed.GET("/api/v1/risk-models/")),
  propose: (document: Record<string, unknown>, reason: string) =>
    api.call(api.typed.POST("/api/v1/risk-models/", { body: { document, reason } })),
  approve: (version: string, reason: string) =>
    api.call(api.typed.POST("/api/v1/risk-models/{id}/approve/", { params: { path: { id: version } }, body: { reason } })),
  activate: (version: string, reason: string) =>
    api.call(api.typed.POST("/api/v1/risk-models/{id}/activate/", { params: { path: { id: version } }, body: { reason } })),
  /** Turn a proposed or parallel-scored version down; the reason is required (400 naming `reason`). */
  reject: (version: string, reason: string) =>
    api.call(api.typed.POST("/api/v1/risk-models/{id}/reject/", { params: { path: { id: version } }, body: { reason } })),
};
