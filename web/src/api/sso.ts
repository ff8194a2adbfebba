/** Single sign-on: the sign-in options the login page reads, sign-out at the provider, and the group →
 * role mapping a Platform Admin edits. */
import { api, type Schemas } from "./client";

export type SignInOptions = Schemas["SignInOptions"];
export type GroupMapping = Schemas["Mapping"];
export type GroupMappingWrite = Schemas["MappingWriteRequest"];

export const sso = {
  options: () => api.call(api.typed.GET("/api/v1/auth/sso/"), true),
  /** Ends the session here; the URL (if any) ends it at the identity provider too. */
  logout: () => api.call(api.typed.POST("/api/v1/auth/sso/logout/"), true),
  mappings: () => api.call(api.typed.GET("/api/v1/sso/mappings/")),
  createMapping: (body: GroupMappingWrite) => api.call(api.typed.POST("/api/v1/sso/mappings/", { body })),
  deleteMapping: (id: number) => api.call(api.typed.DELETE("/api/v1/sso/mappings/{id}/", { params: { path: { id } } })),
};

/** Where the sign-in button sends the browser: the server redirects it to the identity provider. */
export function ssoLoginHref(options: SignInOptions, next: string): string {
  const base = options.login_url ?? "/api/v1/auth/sso/login/";
  return next && next !== "/" ? `${base}?${new URLSearchParams({ next })}` : base;
}
