/** The signed-in person's own account: time zone, password and their own API tokens. */
import { api, type Schemas } from "./client";

export type PasswordChange = Schemas["PasswordChangeRequest"];
export type PasswordChanged = Schemas["PasswordChanged"];

export const account = {
  setTimeZone: (time_zone: string) => api.call(api.typed.PUT("/api/v1/me/preferences/", { body: { time_zone } })),
  changePassword: (body: PasswordChange) => api.call(api.typed.POST("/api/v1/me/password/", { body })),
  myTokens: () => api.call(api.typed.GET("/api/v1/tokens/", { params: { query: { mine: true } } })),
};
