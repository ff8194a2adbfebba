/** The header's global search. */
import { api, type Schemas } from "./client";

export type SearchResult = Schemas["SearchResult"];
export type SearchGroup = Schemas["Group"];

export const search = {
  find: (q: string) => api.call(api.typed.GET("/api/v1/search/", { params: { query: { q } } })),
};
