/** The planes' device groups, for the ring steps' pickers: which connectors to ask, and a connector's groups. */
import { api, type Schemas } from "./client";

export type GroupSource = Schemas["GroupSource"];
export type GroupList = Schemas["GroupList"];
export type PlaneGroup = Schemas["PlaneGroup"];

export const groups = {
  /** The enabled connectors serving one of `platforms` in `boundary` (every enabled one without platforms). */
  sources: (platforms: string[], boundary: string) =>
    api.call(
      api.typed.GET("/api/v1/connectors/group-sources/", {
        params: { query: { platform: platforms.length ? platforms : undefined, boundary: boundary || undefined } },
      }),
    ),
  /** The connector's groups whose name matches `q` (at most 50, by name). */
  list: (connector: string, q: string) =>
    api.call(api.typed.GET("/api/v1/connectors/{id}/groups/", { params: { path: { id: connector }, query: { q: q || undefined } } })),
};
