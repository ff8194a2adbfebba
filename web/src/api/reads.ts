/**
 * Endpoints the console reads and marks beyond client.ts (which stays the one place for plumbing):
 * evidence completeness before sealing, webhook edit and send-test, notification read state.
 */
import { api, compact, type Schemas } from "./client";

export type Completeness = Schemas["Completeness"];
export type CompletenessGap = Completeness["gaps"][number];
export type WebhookUpdate = Schemas["PatchedTargetUpdateRequest"];

export const reads = {
  evidence: {
    /** What still keeps the artifact's pack from sealing (for `intent`, or its evidence alone). */
    completeness: (artifact: string, intent?: string) =>
      api.call(api.typed.GET("/api/v1/evidence/completeness/", { params: { query: compact({ artifact, intent }) } })),
  },
  webhooks: {
    update: (id: number, body: WebhookUpdate) =>
      api.call(api.typed.PATCH("/api/v1/webhooks/{id}/", { params: { path: { id } }, body })),
    /** Queues one signed test delivery; it shows in the target's delivery log. */
    sendTest: (id: number) => api.call(api.typed.POST("/api/v1/webhooks/{id}/test/", { params: { path: { id } } })),
  },
  notifications: {
    unreadCount: () => api.call(api.typed.GET("/api/v1/notifications/unread-count/")),
    markRead: (id: number) => api.call(api.typed.POST("/api/v1/notifications/{id}/read/", { params: { path: { id } } })),
    markAllRead: () => api.call(api.typed.POST("/api/v1/notifications/read-all/")),
  },
};
