/**
 * Notifications and webhook deliveries in words: event names, subjects as named links, delivery
 * outcomes and relative times. Pure, so they are unit tested.
 */
import type { Me, Notification, WebhookDelivery, WebhookEvent } from "../api/client";
import { formatDateTime, humanize } from "./format";
import type { Look } from "./governance";
import { hasRole } from "./permissions";
import { subjectHref } from "./subjects";

/** Webhook targets and their deliveries: Platform Admins and Auditors read; Platform Admins change. */
export function canViewWebhooks(user: Me | null | undefined): boolean {
  return hasRole(user, "platform_admin", "auditor");
}

export function canManageWebhooks(user: Me | null | undefined): boolean {
  return hasRole(user, "platform_admin");
}

/** The events a webhook may subscribe to (the API's choices), in words. */
export const WEBHOOK_EVENTS: Record<WebhookEvent, string> = {
  "cab_request.opened": "A CAB request is opened",
  "cab.decision_made": "A CAB decision is made",
  "exception.expiring": "An exception is about to expire",
  "exception.expired": "An exception has expired",
  "breakglass.used": "Break-glass is used",
};

export const ALL_WEBHOOK_EVENTS = Object.keys(WEBHOOK_EVENTS) as WebhookEvent[];

const EVENT_WORDS: Record<string, string> = {
  "cab_request.opened": "CAB request opened",
  "cab.decision_made": "CAB decision made",
  "cab.comment_mention": "You were mentioned in a CAB discussion",
  "exception.expiring": "Exception expiring soon",
  "exception.expired": "Exception expired",
  "breakglass.used": "Break-glass used",
  "webhook.test": "Test delivery",
  "rollout.halted": "Rollout halted",
  "rollout.awaiting_judgment": "Rollout waiting for a decision",
  "rollout.rollback_started": "Rollback started",
  "rollout.failed": "Rollout failed",
  "rollout.rolled_back": "Rollout rolled back",
  "drift.escalated": "Drift escalated",
  "drift.stuck": "Drift not resolving",
  "drift.cab_review": "Drift needs CAB review",
};

export function eventWords(event: string): string {
  return EVENT_WORDS[event] ?? humanize(event.replace(/\./g, " "));
}

/** The events a target listens to, in words; an empty list means every event. */
export function targetEventsWords(events: unknown): string {
  const list = Array.isArray(events) ? events.filter((e): e is string => typeof e === "string") : [];
  if (list.length === 0) return "Every event";
  return list.map((e) => WEBHOOK_EVENTS[e as WebhookEvent] ?? eventWords(e)).join("; ");
}

function text(payload: unknown, key: string): string {
  if (typeof payload !== "object" || payload === null) return "";
  const v = (payload as Record<string, unknown>)[key];
  return typeof v === "string" || typeof v === "number" ? String(v) : "";
}

/** What a notification is about: its name, and where that lives in the UI (null: no screen). */
export function notificationSubject(n: Pick<Notification, "subject_type" | "subject_id" | "payload">): {
  label: string;
  to: string | null;
} {
  const p = n.payload;
  const intent = text(p, "intent");
  const to = subjectHref(n.subject_type, n.subject_id);
  switch (n.subject_type) {
    case "cab_request":
      return { label: intent ? `CAB request for ${intent}` : "CAB request", to };
    case "break_glass":
      return { label: intent ? `Break-glass for ${intent}` : "Break-glass", to };
    case "exception": {
      const subject = text(p, "subject");
      const kind = text(p, "kind");
      const what = kind ? `${humanize(kind)} exception` : "Exception";
      return { label: subject ? `${what} for ${subject}` : what, to };
    }
    case "intent":
      return { label: intent || text(p, "title") || "Intent", to };
    case "drift":
      return { label: text(p, "summary") || "Drift", to };
    case "webhook_target":
      return { label: text(p, "target") || "Webhook", to };
    default:
      return { label: humanize(n.subject_type), to };
  }
}

/** A one-line detail from the payload, in words (decision, score, reason), or "". */
export function notificationDetail(n: Pick<Notification, "event" | "payload">): string {
  const p = n.payload;
  if (n.event === "cab.decision_made") {
    const decision = text(p, "decision");
    const by = text(p, "by");
    return [decision ? humanize(decision) : "", by ? `by ${by}` : ""].filter(Boolean).join(" ");
  }
  if (n.event === "cab_request.opened") {
    const app = text(p, "application");
    const version = text(p, "version");
    const score = text(p, "score");
    return [app && version ? `${app} ${version}` : app, score ? `risk score ${score}` : ""].filter(Boolean).join(", ");
  }
  if (n.event === "breakglass.used") {
    const priority = text(p, "priority");
    const by = text(p, "confirmed_by");
    return [priority ? `Priority ${priority}` : "", by ? `confirmed by ${by}` : ""].filter(Boolean).join(", ");
  }
  return text(p, "reason");
}

/** "3 minutes ago", "in 2 hours", "just now": a time in words relative to `now`. */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "—";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return "—";
  const diff = t - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return "just now";
  const steps: [number, string][] = [
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
  ];
  for (const [size, unit] of steps) {
    if (abs >= size || unit === "minute") {
      const n = Math.max(1, Math.round(abs / size));
      const words = `${n} ${unit}${n === 1 ? "" : "s"}`;
      return diff < 0 ? `${words} ago` : `in ${words}`;
    }
  }
  return formatDateTime(iso);
}

const REASONS: Record<number, string> = {
  400: "the receiver said the request was bad",
  401: "the receiver asked for authentication",
  403: "the receiver refused it",
  404: "no receiver at that URL",
  405: "the URL does not accept POST",
  410: "the receiver is gone",
  429: "the receiver is rate limiting",
  500: "the receiver had an error",
  502: "a proxy in front of the receiver failed",
  503: "the receiver is unavailable",
  504: "a proxy timed out waiting for the receiver",
};

/** The receiver's answer in words: "204, accepted", "503, the receiver is unavailable". */
export function responseWords(code: number | null | undefined, lastError = ""): string {
  if (code === null || code === undefined) {
    if (!lastError) return "No answer yet";
    if (/timeout/i.test(lastError)) return "No answer: the receiver did not answer in time";
    if (/connect/i.test(lastError)) return "No answer: could not connect to the URL";
    return "No answer: the request failed before the receiver answered";
  }
  if (code >= 200 && code < 300) return `${code}, accepted`;
  if (code >= 300 && code < 400) return `${code}, a redirect (not followed)`;
  return `${code}, ${REASONS[code] ?? (code >= 500 ? "the receiver had an error" : "the receiver refused it")}`;
}

/** A delivery's status in words, with when it happened or will be tried again. */
export function deliveryStatusWords(d: WebhookDelivery, now: number = Date.now()): string {
  const attempts = d.attempts ?? 0;
  const tries = `${attempts} ${attempts === 1 ? "attempt" : "attempts"}`;
  switch (d.status) {
    case "delivered":
      return `Delivered ${relativeTime(d.delivered_at, now)} (${tries})`;
    case "failed":
      return `Gave up after ${tries}`;
    default:
      if (attempts === 0) return "Queued, not sent yet";
      return `Not delivered yet; next try ${relativeTime(d.next_attempt_at, now)} (${tries} so far)`;
  }
}

export const DELIVERY_LOOK: Record<string, Look> = {
  delivered: { label: "Delivered", icon: "check", tone: "success" },
  pending: { label: "Pending", icon: "clock", tone: "warning" },
  failed: { label: "Failed", icon: "cross", tone: "danger" },
};

export const TARGET_LOOK: Record<string, Look> = {
  true: { label: "Active", icon: "check", tone: "success" },
  false: { label: "Paused", icon: "circle", tone: "neutral" },
};
