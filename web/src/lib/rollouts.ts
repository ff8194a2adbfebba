/** Rollout knowledge the UI needs: labels, icons, which controls a role may use, counts and gate inputs. */
import type { Me, RingRun, RolloutAction, RolloutBrief, RolloutStatus, RolloutTarget } from "../api/client";
import type { Look } from "./governance";
import { grantCovers } from "./permissions";

export const ROLLOUT_STATUS: Record<RolloutStatus, Look> = {
  running: { label: "Running", icon: "play", tone: "info" },
  awaiting_judgment: { label: "Awaiting judgment", icon: "clock", tone: "warning" },
  blocked: { label: "Blocked", icon: "alert", tone: "warning" },
  paused: { label: "Paused", icon: "pause", tone: "warning" },
  halted: { label: "Halted", icon: "stop", tone: "danger" },
  rolling_back: { label: "Rolling back", icon: "undo", tone: "warning" },
  rolled_back: { label: "Rolled back", icon: "undo", tone: "neutral" },
  completed: { label: "Completed", icon: "check", tone: "success" },
  failed: { label: "Failed", icon: "alert", tone: "danger" },
};

export const RING_STATE: Record<string, Look> = {
  pending: { label: "Not started", icon: "circle", tone: "neutral" },
  assigned: { label: "Deploying", icon: "play", tone: "info" },
  awaiting_judgment: { label: "Awaiting judgment", icon: "clock", tone: "warning" },
  passed: { label: "Passed", icon: "check", tone: "success" },
  failed: { label: "Failed", icon: "cross", tone: "danger" },
  rolling_back: { label: "Rolling back", icon: "undo", tone: "warning" },
  rolled_back: { label: "Rolled back", icon: "undo", tone: "neutral" },
  rollback_failed: { label: "Rollback failed", icon: "alert", tone: "danger" },
};

export const GATE_OUTCOME: Record<string, Look> = {
  pass: { label: "Pass", icon: "check", tone: "success" },
  fail: { label: "Fail", icon: "cross", tone: "danger" },
  inconclusive: { label: "Inconclusive", icon: "dash", tone: "warning" },
  waiting: { label: "Waiting", icon: "clock", tone: "info" },
  blocked: { label: "Blocked", icon: "stop", tone: "danger" },
  not_applicable: { label: "Not applicable", icon: "circle", tone: "neutral" },
};

export const GATE_NAMES: Record<string, string> = {
  success_rate: "Success rate",
  failure_rate_bound: "Failure rate bound",
  time_to_compliance: "Time to compliance",
  min_soak: "Minimum soak",
  zero_security_incidents: "No open security incident",
  cab_approval_where_required: "CAB approval where required",
  evidence_pack_valid: "Evidence pack valid",
  exceptions_unexpired: "Exceptions unexpired",
  rollback_validated: "Rollback validated",
  window_open: "Maintenance window open",
};

/** Rollouts the Rollouts page and the dashboard show: everything still needing attention. */
export const ACTIVE_STATUSES: RolloutStatus[] = [
  "running",
  "awaiting_judgment",
  "blocked",
  "paused",
  "halted",
  "rolling_back",
];
export const TERMINAL_STATUSES: RolloutStatus[] = ["completed", "rolled_back", "failed"];

export function isTerminal(status: string | null | undefined): boolean {
  return TERMINAL_STATUSES.includes(status as RolloutStatus);
}

/** How often a live rollout is re-read (ms); false once it cannot change any more. */
export function pollInterval(status: string | null | undefined, ms = 3000): number | false {
  return status && isTerminal(status) ? false : ms;
}

/** "Demo clock: 1 s = 6 min" when the demo clock runs faster than real time; null otherwise. */
export function demoClockText(scale: number | null | undefined): string | null {
  if (!scale || scale <= 1) return null;
  const trim = (x: number) => String(Number(x.toFixed(2)));
  if (scale >= 3600) return `Demo clock: 1 s = ${trim(scale / 3600)} h`;
  if (scale >= 60) return `Demo clock: 1 s = ${trim(scale / 60)} min`;
  return `Demo clock: 1 s = ${trim(scale)} s`;
}

export interface Counts {
  installed: number;
  failed: number;
  pending: number;
  notApplicable: number;
  total: number;
  /** Devices in the group that reported nothing yet (total minus every reported state). */
  notReported: number;
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

export function countsOf(target: Pick<RolloutTarget, "counts" | "planned_devices">): Counts {
  const c = (target.counts ?? {}) as Record<string, unknown>;
  const installed = num(c.installed);
  const failed = num(c.failed);
  const pending = num(c.pending);
  const notApplicable = num(c.not_applicable);
  const total = c.total === undefined || c.total === null ? target.planned_devices : num(c.total);
  const notReported = Math.max(0, total - installed - failed - pending - notApplicable);
  return { installed, failed, pending, notApplicable, total, notReported };
}

export function sumCounts(list: Counts[]): Counts {
  return list.reduce(
    (a, b) => ({
      installed: a.installed + b.installed,
      failed: a.failed + b.failed,
      pending: a.pending + b.pending,
      notApplicable: a.notApplicable + b.notApplicable,
      total: a.total + b.total,
      notReported: a.notReported + b.notReported,
    }),
    { installed: 0, failed: 0, pending: 0, notApplicable: 0, total: 0, notReported: 0 },
  );
}

export interface ErrorGroup {
  code: string;
  count: number;
  devices: { id: string; name: string }[];
  planes: string[];
}

/** Failures of a ring grouped by error code across its planes, largest group first. */
export function errorGroups(run: Pick<RingRun, "targets">): ErrorGroup[] {
  const byCode = new Map<string, ErrorGroup>();
  for (const t of run.targets) {
    const codes = (t.error_codes ?? {}) as Record<string, { count?: unknown; devices?: unknown }>;
    for (const [code, entry] of Object.entries(codes)) {
      const g = byCode.get(code) ?? { code, count: 0, devices: [], planes: [] };
      g.count += num(entry?.count);
      if (Array.isArray(entry?.devices)) {
        for (const d of entry.devices as { id?: unknown; name?: unknown }[]) {
          g.devices.push({ id: String(d?.id ?? ""), name: String(d?.name ?? d?.id ?? "") });
        }
      }
      if (!g.planes.includes(t.connector)) g.planes.push(t.connector);
      byCode.set(code, g);
    }
  }
  return [...byCode.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

export interface SuccessInputs {
  n: number;
  successes: number;
  failures: number;
  threshold: number;
  lower: number | null;
  upper: number | null;
  statistic: string;
  minSample: number | null;
  maxFailures: number | null;
  /** successes / n, or null with no sample. */
  rate: number | null;
}

/** The success_rate gate's inputs, or null when they are not there (yet). */
export function successInputs(inputs: unknown): SuccessInputs | null {
  if (!inputs || typeof inputs !== "object") return null;
  const i = inputs as Record<string, unknown>;
  if (typeof i.threshold !== "number") return null;
  const n = num(i.n);
  const successes = num(i.successes);
  const opt = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    n,
    successes,
    failures: num(i.failures),
    threshold: i.threshold,
    lower: opt(i.lower),
    upper: opt(i.upper),
    statistic: typeof i.statistic === "string" ? i.statistic : "",
    minSample: opt(i.min_sample),
    maxFailures: opt(i.max_failures),
    rate: n > 0 ? successes / n : null,
  };
}

export function percent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined) return "—";
  return `${(x * 100).toFixed(digits)} %`;
}

/** Which role grants allow an action, mirroring the server's permission table (a UI hint only). */
const ACTION_ROLES: Record<RolloutAction | "start", string[]> = {
  start: ["publisher"],
  pause: ["publisher", "endpoint_ops"],
  resume: ["publisher"],
  halt: ["publisher", "endpoint_ops"],
  rollback: ["publisher", "endpoint_ops"],
  promote: ["publisher", "cab_approver"],
};

/** Which rollout statuses an action makes sense in. */
const ACTION_STATUSES: Record<RolloutAction, RolloutStatus[]> = {
  pause: ["running", "awaiting_judgment", "blocked"],
  resume: ["paused", "halted"],
  halt: ["running", "awaiting_judgment", "blocked", "paused"],
  rollback: ["running", "awaiting_judgment", "blocked", "paused", "halted"],
  promote: ["awaiting_judgment"],
};

export type ControlAction = RolloutAction | "start";

export const ACTION_LABELS: Record<ControlAction, string> = {
  start: "Start rollout",
  pause: "Pause",
  resume: "Resume",
  halt: "Halt",
  rollback: "Roll back",
  promote: "Promote",
};

/** Actions whose reason the server requires. */
export const REASON_REQUIRED: ControlAction[] = ["halt", "rollback", "promote"];

function mayAct(user: Me | null | undefined, action: ControlAction, boundary: string, businessUnit: string): boolean {
  const roles = ACTION_ROLES[action];
  return !!user && user.roles.some((g) => roles.includes(g.role) && grantCovers(g, boundary, businessUnit));
}

/**
 * The controls a person sees for an intent and its rollout (null before start). Hides only what
 * cannot work; the server still decides (separation of duties, gates) and its refusal is shown.
 */
export function rolloutControls(
  user: Me | null | undefined,
  intent: { state?: string | null; target_boundary: string; target_business_unit: string },
  rollout: Pick<RolloutBrief, "status"> | null,
): ControlAction[] {
  const b = intent.target_boundary;
  const u = intent.target_business_unit;
  if (!rollout) {
    return intent.state === "approved" && mayAct(user, "start", b, u) ? ["start"] : [];
  }
  const status = (rollout.status ?? "running") as RolloutStatus;
  return (["promote", "pause", "resume", "halt", "rollback"] as RolloutAction[]).filter(
    (a) => ACTION_STATUSES[a].includes(status) && mayAct(user, a, b, u),
  );
}

/* ---------- jobs: what an accepted action did ---------- */

export const JOB_STATUS: Record<string, Look> = {
  queued: { label: "Queued", icon: "clock", tone: "info" },
  running: { label: "Running", icon: "play", tone: "info" },
  succeeded: { label: "Succeeded", icon: "check", tone: "success" },
  failed: { label: "Failed", icon: "cross", tone: "danger" },
};

export function jobFinished(status: string | null | undefined): boolean {
  return status === "succeeded" || status === "failed";
}

export interface JobLine {
  at: string;
  level: string;
  message: string;
}

/** The job's log as lines (the server keeps a list of {at, level, message, ...}). */
export function jobLines(log: unknown): JobLine[] {
  if (!Array.isArray(log)) return [];
  return log.map((l: unknown) => {
    const o = (l && typeof l === "object" ? l : { message: String(l) }) as Record<string, unknown>;
    return { at: String(o.at ?? ""), level: String(o.level ?? "info"), message: String(o.message ?? "") };
  });
}

/* ---------- incidents, windows, freeze ---------- */

export const INCIDENT_PRIORITIES = ["P0", "P1", "P2", "P3", "P4"] as const;

export const INCIDENT_STATE: Record<string, Look> = {
  open: { label: "Open", icon: "alert", tone: "danger" },
  resolved: { label: "Resolved", icon: "check", tone: "success" },
};

export const WINDOW_KIND: Record<string, Look> = {
  window: { label: "Change window", icon: "clock", tone: "info" },
  blackout: { label: "Blackout", icon: "stop", tone: "warning" },
};

export const ACTIVE_LOOK: Record<string, Look> = {
  true: { label: "Active", icon: "check", tone: "success" },
  false: { label: "Deactivated", icon: "circle", tone: "neutral" },
};

export function canOpenIncident(user: Me | null | undefined): boolean {
  return !!user && user.roles.some((g) => ["endpoint_ops", "security_reviewer", "publisher"].includes(g.role));
}
export function canResolveIncident(user: Me | null | undefined): boolean {
  return !!user && user.roles.some((g) => ["endpoint_ops", "security_reviewer"].includes(g.role));
}
export function canManageWindows(user: Me | null | undefined): boolean {
  return !!user && user.roles.some((g) => ["platform_admin", "endpoint_ops"].includes(g.role));
}
export function canManageFreeze(user: Me | null | undefined): boolean {
  return !!user && user.roles.some((g) => g.role === "platform_admin");
}
