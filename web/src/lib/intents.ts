/** Intent lifecycle knowledge the UI needs: labels, icons, ring plan parsing and ring status. */
import type { Intent, IntentState, RingPolicy } from "../api/client";

export type IconName =
  | "check"
  | "cross"
  | "clock"
  | "dot"
  | "circle"
  | "pause"
  | "stop"
  | "undo"
  | "play"
  | "pencil"
  | "alert"
  | "dash";
export type Tone = "neutral" | "info" | "success" | "warning" | "danger";

export const DEFAULT_RINGS = ["lab", "canary", "pilot", "department", "global"] as const;

export const INTENT_STATES: IntentState[] = [
  "draft",
  "submitted",
  "awaiting_cab",
  "approved",
  "in_progress",
  "paused",
  "halted",
  "rolling_back",
  "completed",
  "rolled_back",
  "rejected",
  "cancelled",
  "failed",
];

export const STATE_INFO: Record<IntentState, { label: string; icon: IconName; tone: Tone }> = {
  draft: { label: "Draft", icon: "pencil", tone: "neutral" },
  submitted: { label: "Submitted", icon: "clock", tone: "info" },
  awaiting_cab: { label: "Awaiting CAB", icon: "clock", tone: "warning" },
  approved: { label: "Approved", icon: "check", tone: "success" },
  in_progress: { label: "In progress", icon: "play", tone: "info" },
  paused: { label: "Paused", icon: "pause", tone: "warning" },
  halted: { label: "Halted", icon: "stop", tone: "danger" },
  rolling_back: { label: "Rolling back", icon: "undo", tone: "warning" },
  completed: { label: "Completed", icon: "check", tone: "success" },
  rolled_back: { label: "Rolled back", icon: "undo", tone: "neutral" },
  rejected: { label: "Rejected", icon: "cross", tone: "danger" },
  cancelled: { label: "Cancelled", icon: "cross", tone: "neutral" },
  failed: { label: "Failed", icon: "alert", tone: "danger" },
};

export function stateInfo(state: string | null | undefined) {
  return STATE_INFO[(state ?? "draft") as IntentState] ?? { label: state ?? "Unknown", icon: "dot", tone: "neutral" };
}

export interface RingStep {
  ring: string;
  target_group: string;
  target_groups?: Record<string, string>;
  device_count: number;
  not_before?: string | null;
}

export interface RollbackPlan {
  strategy: string;
  rollback_version?: string | null;
}

/** The ring plan as typed by the contract, with absent optional fields made explicit. */
export function ringPlanOf(intent: Pick<Intent, "ring_plan">): RingStep[] {
  return (intent.ring_plan ?? []).map((s) => ({ ...s, not_before: s.not_before ?? null }));
}

export function rollbackPlanOf(intent: Pick<Intent, "rollback_plan">): RollbackPlan {
  const plan = intent.rollback_plan;
  return { strategy: plan?.strategy ?? "", rollback_version: plan?.rollback_version ?? null };
}

export function ringNames(policies: RingPolicy[] | undefined): string[] {
  const active = policies?.find((p) => p.active) ?? policies?.[0];
  const doc = active?.document as { rings?: { name?: unknown }[] } | undefined;
  const names = (doc?.rings ?? []).map((r) => r.name).filter((n): n is string => typeof n === "string");
  return names.length ? names : [...DEFAULT_RINGS];
}

export interface RingStatus {
  label: string;
  icon: IconName;
  tone: Tone;
}

/**
 * The state of one ring of an intent, as far as the intent's own state tells. The API does not
 * report per-ring rollout progress yet, so a rollout in progress shows its planned rings as
 * "In rollout" rather than guessing the current ring.
 */
export function ringStatus(state: IntentState | string, planned: boolean): RingStatus {
  if (!planned) return { label: "Not planned", icon: "dash", tone: "neutral" };
  switch (state) {
    case "draft":
      return { label: "Planned (draft)", icon: "pencil", tone: "neutral" };
    case "submitted":
    case "awaiting_cab":
      return { label: "Awaiting approval", icon: "clock", tone: "warning" };
    case "approved":
      return { label: "Approved, not started", icon: "check", tone: "info" };
    case "in_progress":
      return { label: "In rollout", icon: "play", tone: "info" };
    case "paused":
      return { label: "Paused", icon: "pause", tone: "warning" };
    case "halted":
      return { label: "Halted", icon: "stop", tone: "danger" };
    case "rolling_back":
      return { label: "Rolling back", icon: "undo", tone: "warning" };
    case "rolled_back":
      return { label: "Rolled back", icon: "undo", tone: "neutral" };
    case "completed":
      return { label: "Completed", icon: "check", tone: "success" };
    case "rejected":
      return { label: "Rejected", icon: "cross", tone: "danger" };
    case "cancelled":
      return { label: "Cancelled", icon: "cross", tone: "neutral" };
    case "failed":
      return { label: "Failed", icon: "alert", tone: "danger" };
    default:
      return { label: String(state), icon: "dot", tone: "neutral" };
  }
}
