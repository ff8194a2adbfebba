/** Labels, icons and small rules for drift (reconciliation). Pure, unit tested. */
import type { Drift, DriftDecision, DriftSummary, Me } from "../api/client";
import type { Look } from "./governance";
import { grantCovers } from "./permissions";

export const DRIFT_KINDS = ["missing", "extra", "modified", "stale", "stuck"] as const;
export const DRIFT_STATUSES = ["open", "remediating", "escalated", "accepted", "resolved"] as const;
export const DRIFT_ROUTES = ["auto", "endpoint_ops", "cab"] as const;
export const DRIFT_SEVERITIES = ["high", "medium", "low"] as const;
export const PLANES = ["intune", "jamf", "sccm", "landscape", "ansible"] as const;
/** The longest an accepted drift may stay accepted before it reopens. */
export const MAX_ACCEPT_DAYS = 90;

export const DRIFT_KIND: Record<string, Look> = {
  missing: { label: "Missing", icon: "dash", tone: "warning" },
  extra: { label: "Extra", icon: "alert", tone: "danger" },
  modified: { label: "Modified", icon: "alert", tone: "warning" },
  stale: { label: "Stale (no report)", icon: "clock", tone: "neutral" },
  stuck: { label: "Stuck", icon: "stop", tone: "danger" },
};

/** What each kind means, for the counts' descriptions. */
export const DRIFT_KIND_HINT: Record<string, string> = {
  missing: "A targeted device or assignment lacks the version.",
  extra: "The version or a managed assignment is where no intent targets it.",
  modified: "Another version, or the assignment changed outside Fleetgate.",
  stale: "A device has not reported within its time to compliance.",
  stuck: "A ring made no progress past its time to compliance, or a rollout went silent.",
};

export const DRIFT_STATUS: Record<string, Look> = {
  open: { label: "Open", icon: "circle", tone: "warning" },
  remediating: { label: "Remediating", icon: "clock", tone: "info" },
  escalated: { label: "Escalated", icon: "alert", tone: "danger" },
  accepted: { label: "Accepted", icon: "check", tone: "neutral" },
  resolved: { label: "Resolved", icon: "check", tone: "success" },
};

export const DRIFT_ROUTE: Record<string, Look> = {
  auto: { label: "Fixed automatically", icon: "clock", tone: "info" },
  endpoint_ops: { label: "Endpoint Ops decide", icon: "dot", tone: "neutral" },
  cab: { label: "CAB decides (widens scope)", icon: "alert", tone: "warning" },
};

export const SEVERITY: Record<string, Look> = {
  high: { label: "High", icon: "alert", tone: "danger" },
  medium: { label: "Medium", icon: "alert", tone: "warning" },
  low: { label: "Low", icon: "dot", tone: "neutral" },
};

/** Statuses a pass still acts on (not resolved, not accepted). */
export const LIVE_STATUSES = new Set<string>(["open", "remediating", "escalated"]);

export function isLive(status: string | null | undefined): boolean {
  return LIVE_STATUSES.has(status ?? "");
}

/** The counts per kind in a fixed order, zero where the summary has none. */
export function kindCounts(summary: Pick<DriftSummary, "by_kind"> | null | undefined): { kind: string; count: number }[] {
  const by = summary?.by_kind ?? {};
  const known = DRIFT_KINDS.map((kind) => ({ kind: kind as string, count: by[kind] ?? 0 }));
  const others = Object.keys(by)
    .filter((k) => !(DRIFT_KINDS as readonly string[]).includes(k))
    .sort()
    .map((kind) => ({ kind, count: by[kind] ?? 0 }));
  return [...known, ...others];
}

/** The role that decides a drift on its route: scope-widening drift is CAB's, the rest Endpoint Ops'. */
export function deciderRole(route: string): "cab_approver" | "endpoint_ops" {
  return route === "cab" ? "cab_approver" : "endpoint_ops";
}

/**
 * The decisions the person may try on a drift: their role must be the route's decider, granted
 * over the drift's boundary and business unit, and the drift's status must allow the action.
 * UI hints only; the server decides.
 */
export function driftActions(user: Me | null | undefined, drift: Pick<Drift, "route" | "status" | "boundary" | "business_unit">): DriftDecision[] {
  if (!user) return [];
  const role = deciderRole(drift.route);
  const covered = user.roles.some((g) => g.role === role && grantCovers(g, drift.boundary, drift.business_unit));
  if (!covered) return [];
  const out: DriftDecision[] = [];
  if (isLive(drift.status)) out.push("acknowledge");
  if (isLive(drift.status) || drift.status === "accepted") out.push("resolve");
  if (isLive(drift.status)) out.push("accept");
  return out;
}

/** Whether the person holds any role that decides drift (Endpoint Ops, CAB Approver). */
export function canDecideDrift(user: Me | null | undefined): boolean {
  return !!user && user.roles.some((g) => g.role === "endpoint_ops" || g.role === "cab_approver");
}

export const DECISION_LABELS: Record<DriftDecision, string> = {
  acknowledge: "Acknowledge",
  resolve: "Mark resolved",
  accept: "Accept with expiry",
};

/** `yyyy-mm-dd` of a date, in local time, for <input type="date">. */
export function dateInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function addDays(d: Date, days: number): Date {
  const out = new Date(d.getTime());
  out.setDate(out.getDate() + days);
  return out;
}

/**
 * Check an acceptance expiry (a `yyyy-mm-dd` date, meaning the end of that day, local time): it
 * must be after now and at most 90 days away. Returns the ISO instant, or the message to show.
 */
export function acceptExpiry(value: string, now: Date = new Date()): { iso: string } | { error: string } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return { error: "Give the date the acceptance ends." };
  const end = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 0, 0);
  if (Number.isNaN(end.getTime()) || end.getDate() !== Number(m[3])) return { error: "Give a real calendar date." };
  if (end.getTime() <= now.getTime()) return { error: "The expiry must be in the future." };
  if (end.getTime() > now.getTime() + MAX_ACCEPT_DAYS * 86_400_000) {
    return { error: `An acceptance lasts at most ${MAX_ACCEPT_DAYS} days (until ${dateInput(addDays(now, MAX_ACCEPT_DAYS))}).` };
  }
  return { iso: end.toISOString() };
}

export interface StateRow {
  key: string;
  expected: string;
  observed: string;
  differs: boolean;
}

function show(value: unknown): string {
  if (value === undefined) return "—";
  if (value === null) return "none";
  if (typeof value === "string") return value === "" ? "(empty)" : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** Expected vs observed, one row per field found on either side, the differing ones marked. */
export function compareStates(expected: unknown, observed: unknown): StateRow[] {
  const asObject = (v: unknown): Record<string, unknown> =>
    v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : v === undefined || v === null ? {} : { value: v };
  const e = asObject(expected);
  const o = asObject(observed);
  const keys = [...new Set([...Object.keys(e), ...Object.keys(o)])];
  return keys.map((key) => ({
    key,
    expected: show(e[key]),
    observed: show(o[key]),
    differs: JSON.stringify(e[key]) !== JSON.stringify(o[key]),
  }));
}

/** Who a JSON actor field names ({username} or {name}), or "". */
export function actorName(value: unknown): string {
  if (!value || typeof value !== "object") return typeof value === "string" ? value : "";
  const v = value as Record<string, unknown>;
  return String(v.username ?? v.name ?? v.display ?? "");
}

export interface IntentDrift {
  /** Drift a pass still acts on, per kind. */
  openByKind: { kind: string; count: number }[];
  openTotal: number;
  /** Live stuck drift (rings or rollouts without progress). */
  stuck: Drift[];
}

/** The drift and stuck state of one intent's rollout, from the drift listed for it. */
export function intentDrift(rows: Drift[]): IntentDrift {
  const live = rows.filter((r) => isLive(r.status));
  const by: Record<string, number> = {};
  for (const r of live) by[r.kind] = (by[r.kind] ?? 0) + 1;
  return {
    openByKind: kindCounts({ by_kind: by }).filter((k) => k.count > 0),
    openTotal: live.length,
    stuck: live.filter((r) => r.kind === "stuck"),
  };
}

/** Where a drift is: plane, group, ring and device (or the whole group). */
export function driftWhere(d: Pick<Drift, "plane" | "group" | "ring" | "device" | "device_name">): string {
  const ring = d.ring ? `, ring ${d.ring}` : "";
  const device = d.device ? `device ${d.device_name || d.device}` : "the whole group";
  return `${d.plane} / ${d.group}${ring}: ${device}`;
}
