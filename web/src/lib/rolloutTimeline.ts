/** The rollout timeline: the rollout, gate and incident events of an intent's ledger history, as sentences. */
import type { Look } from "./governance";
import { GATE_NAMES, GATE_OUTCOME } from "./rollouts";

export interface TimelineEntry {
  sequence: number;
  at: string;
  action: string;
  actor: string;
  /** What happened, in words. */
  text: string;
  reason: string;
  /** Gate outcome or rollout status the entry ends in, for its badge. */
  outcome?: string;
}

interface HistoryEvent {
  sequence: number;
  occurred_at: string;
  action: string;
  actor_name: string;
  reason?: string | null;
  after?: unknown;
}

const ring = (v: unknown) => (typeof v === "string" && v ? v.charAt(0).toUpperCase() + v.slice(1).replace(/_/g, " ") : "");

/** A rollout, gate or incident event as a sentence; null for events that are not the rollout's. */
export function timelineEntry(e: HistoryEvent): TimelineEntry | null {
  if (!/^(rollout|gate|incident)\./.test(e.action)) return null;
  const a = (e.after && typeof e.after === "object" ? e.after : {}) as Record<string, unknown>;
  const at = ring(a.ring);
  const planes = (list: unknown) =>
    Array.isArray(list) ? list.map((t) => String((t as Record<string, unknown>)?.connector ?? "")).filter(Boolean) : [];
  let text: string;
  let outcome: string | undefined;
  switch (e.action) {
    case "rollout.started": {
      const rings = Array.isArray(a.rings) ? a.rings.map(ring).join(" → ") : "";
      const on = planes(a.planes);
      text = `Rollout started${rings ? `: ${rings}` : ""}${on.length ? ` on ${on.join(", ")}` : ""}`;
      outcome = "running";
      break;
    }
    case "rollout.ring_assigned": {
      const on = planes(a.targets);
      text = `${at} assigned${on.length ? ` on ${on.join(", ")}` : ""}`;
      break;
    }
    case "rollout.promoted":
      text = `Promoted ${ring(a.from)} → ${ring(a.to)}`;
      outcome = "pass";
      break;
    case "gate.evaluated":
      text = `${at}: ${GATE_NAMES[String(a.gate)] ?? ring(a.gate)} ${lookLabel(GATE_OUTCOME, a.outcome)}${a.summary ? ` (${a.summary})` : ""}`;
      outcome = String(a.outcome ?? "");
      break;
    case "rollout.awaiting_judgment":
      text = `${at} awaiting judgment`;
      outcome = "awaiting_judgment";
      break;
    case "rollout.paused":
      text = `Paused${at ? ` at ${at}` : ""}`;
      outcome = "paused";
      break;
    case "rollout.resumed":
      text = `Resumed${at ? ` at ${at}` : ""}`;
      outcome = "running";
      break;
    case "rollout.halted":
      text = `Halted${at ? ` at ${at}` : ""}`;
      outcome = "halted";
      break;
    case "rollout.rollback_started":
      text = "Rollback started";
      outcome = "rolling_back";
      break;
    case "rollout.ring_rollback_assigned":
      text = `${at}: rollback assigned`;
      break;
    case "rollout.ring_rolled_back":
      text = `${at} rolled back`;
      break;
    case "rollout.rolled_back":
      text = "Rollout rolled back";
      outcome = "rolled_back";
      break;
    case "rollout.completed":
      text = "Rollout completed";
      outcome = "completed";
      break;
    case "rollout.failed":
      text = `Rollout failed${at ? ` at ${at}` : ""}`;
      outcome = "failed";
      break;
    case "rollout.incident_noted":
      text = `Incident noted${at ? ` at ${at}` : ""}`;
      break;
    case "incident.opened":
      text = `Incident opened${a.priority ? ` (${a.priority})` : ""}${a.title ? `: ${a.title}` : ""}`;
      break;
    case "incident.resolved":
      text = `Incident resolved${a.title ? `: ${a.title}` : ""}`;
      break;
    default:
      text = ring(e.action.split(".")[1]);
  }
  return {
    sequence: e.sequence,
    at: e.occurred_at,
    action: e.action,
    actor: e.actor_name,
    text,
    reason: e.reason ?? "",
    outcome,
  };
}

function lookLabel(table: Record<string, Look>, v: unknown): string {
  return (table[String(v)]?.label ?? String(v ?? "")).toLowerCase();
}

/** The rollout's part of an intent's history, oldest first; repeated identical gate readings are folded. */
export function rolloutTimeline(events: HistoryEvent[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const lastGate = new Map<string, string>();
  for (const e of [...events].sort((x, y) => x.sequence - y.sequence)) {
    const entry = timelineEntry(e);
    if (!entry) continue;
    if (e.action === "gate.evaluated") {
      const a = (e.after ?? {}) as Record<string, unknown>;
      const key = `${a.ring}/${a.gate}`;
      const value = `${a.outcome}`;
      if (lastGate.get(key) === value) continue; // the same outcome again: only changes are news
      lastGate.set(key, value);
    }
    out.push(entry);
  }
  return out;
}
