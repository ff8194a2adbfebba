/** The discussion thread of a CAB request: comments, and the people a comment may @mention. */
import { api, type Schemas } from "./client";

export type CabComment = Schemas["Comment"];
export type Mentionable = Schemas["Mentionable"];

export const comments = {
  list: (request: string) =>
    api.call(api.typed.GET("/api/v1/cab-comments/", { params: { query: { request, page_size: 200 } } })),
  post: (request: string, body: string) => api.call(api.typed.POST("/api/v1/cab-comments/", { body: { request, body } })),
  mentionable: (request: string) =>
    api.call(api.typed.GET("/api/v1/cab-comments/mentionable/", { params: { query: { request } } })),
};
