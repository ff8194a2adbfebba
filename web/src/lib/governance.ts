/** Labels, icons and small rules for CAB requests, exceptions and connectors. Pure, unit tested. */
import type { CabDecision, CabRequest } from "../api/client";
import type { IconName, Tone } from "./intents";

export interface Look {
  label: string;
  icon: IconName;
  tone: Tone;
}

export const CAB_STATE: Record<string, Look> = {
  open: { label: "Open", icon: "clock", tone: "warning" },
  approved: { label: "Approved", icon: "check", tone: "success" },
  rejected: { label: "Rejected", icon: "cross", tone: "danger" },
  voided: { label: "Voided", icon: "dash", tone: "neutral" },
};

export const DECISION_KIND: Record<string, Look> = {
  approve: { label: "Approved", icon: "check", tone: "success" },
  conditional: { label: "Approved with conditions", icon: "alert", tone: "warning" },
  reject: { label: "Rejected", icon: "cross", tone: "danger" },
};

export const EXCEPTION_STATE: Record<string, Look> = {
  requested: { label: "Requested", icon: "clock", tone: "info" },
  approved: { label: "Approved", icon: "check", tone: "success" },
  rejected: { label: "Rejected", icon: "cross", tone: "danger" },
  expired: { label: "Expired", icon: "dash", tone: "neutral" },
};

export const HEALTH: Record<string, Look> = {
  healthy: { label: "Healthy", icon: "check", tone: "success" },
  degraded: { label: "Degraded", icon: "alert", tone: "warning" },
  down: { label: "Down", icon: "cross", tone: "danger" },
  unknown: { label: "Not checked", icon: "circle", tone: "neutral" },
};

export const CIRCUIT: Record<string, Look> = {
  closed: { label: "Circuit closed", icon: "check", tone: "success" },
  half_open: { label: "Circuit half-open", icon: "alert", tone: "warning" },
  "half-open": { label: "Circuit half-open", icon: "alert", tone: "warning" },
  open: { label: "Circuit open", icon: "stop", tone: "danger" },
};

export const OPERATION: Record<string, Look> = {
  pending: { label: "Pending", icon: "clock", tone: "warning" },
  succeeded: { label: "Succeeded", icon: "check", tone: "success" },
  failed: { label: "Failed", icon: "cross", tone: "danger" },
};

export const BREAK_GLASS_STATE: Record<string, Look> = {
  pending: { label: "Awaiting second person", icon: "clock", tone: "warning" },
  active: { label: "Active", icon: "alert", tone: "danger" },
  reviewed: { label: "Reviewed", icon: "check", tone: "success" },
};

export function lookOf(table: Record<string, Look>, key: string | null | undefined): Look {
  return table[key ?? ""] ?? { label: key ?? "—", icon: "dot", tone: "neutral" };
}

/** Approvals that count toward quorum: approve or conditional, not revoked, one per person. */
export function approvalsCounted(decisions: CabDecision[]): number {
  const people = new Set(
    decisions.filter((d) => (d.kind === "approve" || d.kind === "conditional") && !d.revoked).map((d) => d.approver),
  );
  return people.size;
}

export function quorumText(request: Pick<CabRequest, "decisions" | "quorum">): string {
  const quorum = request.quorum ?? 1;
  return `${approvalsCounted(request.decisions)} of ${quorum} approval${quorum === 1 ? "" : "s"}`;
}

/** Days from `now` until `iso` (negative when past), rounded down. */
export function daysUntil(iso: string | null | undefined, now: Date = new Date()): number | null {
  if (!iso) return null;
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return null;
  return Math.floor((t - now.getTime()) / 86_400_000);
}

/** An approved exception expiring within 14 days (the reminder window). */
export function expiringSoon(state: string | undefined, expiresAt: string, now: Date = new Date()): boolean {
  const days = daysUntil(expiresAt, now);
  return state === "approved" && days !== null && days >= 0 && days <= 14;
}
