/**
 * One place that knows where each kind of subject lives in the console: ledger events, the dashboard
 * and lists link a subject by its type and id through `subjectHref`, and name it with `subjectLabel`.
 */
import { humanize } from "./format";

type Route = (id: string) => string;

/** Subject types (the ledger's `subject_type`) with a screen of their own, or the list that shows them. */
const ROUTES: Record<string, Route> = {
  intent: (id) => `/intents/${encodeURIComponent(id)}`,
  application: (id) => `/applications/${encodeURIComponent(id)}`,
  cab_request: (id) => `/cab/${encodeURIComponent(id)}`,
  connector: (id) => `/connectors/${encodeURIComponent(id)}`,
  webhook_target: (id) => `/webhooks/${encodeURIComponent(id)}`,
  drift: (id) => `/drift/${encodeURIComponent(id)}`,
  exception: () => "/exceptions",
  break_glass: () => "/exceptions",
  incident: () => "/incidents",
  window: () => "/windows",
  freeze: () => "/windows",
  api_token: () => "/settings/tokens",
  user: () => "/settings/users",
  role_grant_request: () => "/settings/role-requests",
  notification: () => "/notifications",
};

/** Where a subject is shown, or null when it has no screen (a sign-in, a ledger checkpoint). */
export function subjectHref(type: string, id: string): string | null {
  const route = ROUTES[type];
  return route && id ? route(id) : null;
}

/** An application version's place: the application's page, at the version. */
export function versionHref(applicationId: string, versionId: string): string {
  return `${subjectHref("application", applicationId)}#v-${encodeURIComponent(versionId)}`;
}

/** The subject in words: its name when the server knows one, else its kind and a short id. */
export function subjectLabel(type: string, id: string, name?: string | null): string {
  if (name) return name;
  const short = id.length > 12 ? `${id.slice(0, 8)}…` : id;
  return `${humanize(type).toLowerCase()} ${short}`.trim();
}
