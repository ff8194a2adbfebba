/** The intent form's draft: what the person types, turned into the API's write body, and field labels for problems. */
import type { Intent, IntentWrite } from "../api/client";
import { fieldId } from "./fields";
import { humanize, stringList } from "./format";
import { ringPlanOf, rollbackPlanOf } from "./intents";

export const SITE_CLASSES = [
  { value: "online", label: "Online" },
  { value: "intermittent", label: "Intermittent" },
  { value: "air_gapped", label: "Air-gapped" },
] as const;
export const STRATEGIES = [
  { value: "reinstall_previous", label: "Reinstall the previous version" },
  { value: "uninstall", label: "Uninstall" },
  { value: "supersede", label: "Supersede with a newer version" },
] as const;

export interface StepDraft {
  key: number;
  ring: string;
  target_group: string;
  device_count: string;
  /** The group per connector (by name) where a plane names it differently from target_group. */
  target_groups?: Record<string, string>;
}

export interface IntentDraft {
  name: string;
  title: string;
  change_reason: string;
  application: string;
  version: string;
  target_boundary: string;
  target_business_unit: string;
  target_site_classes: string[];
  ring_plan: StepDraft[];
  rollback_strategy: string;
  rollback_version: string;
}

let stepKey = 0;
export const newStep = (ring: string, target_group = "", device_count = "", target_groups: Record<string, string> = {}): StepDraft => ({
  key: ++stepKey,
  ring,
  target_group,
  device_count,
  target_groups,
});

export function emptyDraft(): IntentDraft {
  return {
    name: "",
    title: "",
    change_reason: "",
    application: "",
    version: "",
    target_boundary: "",
    target_business_unit: "",
    target_site_classes: ["online"],
    ring_plan: [newStep("lab", "", "")],
    rollback_strategy: "reinstall_previous",
    rollback_version: "",
  };
}

export function draftFromIntent(i: Intent): IntentDraft {
  const rollback = rollbackPlanOf(i);
  return {
    name: i.name,
    title: i.title,
    change_reason: i.change_reason ?? "",
    application: i.application,
    version: i.version,
    target_boundary: i.target_boundary,
    target_business_unit: i.target_business_unit,
    target_site_classes: stringList(i.target_site_classes),
    ring_plan: ringPlanOf(i).map((s) => newStep(s.ring, s.target_group, String(s.device_count), { ...(s.target_groups ?? {}) })),
    rollback_strategy: rollback.strategy,
    rollback_version: rollback.rollback_version ?? "",
  };
}

/** Whole numbers go as numbers; anything else goes as typed, so the server names the field. */
export function count(value: string): number {
  const trimmed = value.trim();
  return (/^\d+$/.test(trimmed) ? Number(trimmed) : trimmed === "" ? null : trimmed) as number;
}

export function toWriteBody(d: IntentDraft): IntentWrite {
  return {
    name: d.name.trim(),
    title: d.title,
    change_reason: d.change_reason,
    application: d.application,
    version: d.version,
    target_boundary: d.target_boundary.trim(),
    target_business_unit: d.target_business_unit.trim(),
    target_site_classes: d.target_site_classes as IntentWrite["target_site_classes"],
    ring_plan: d.ring_plan.map((s) => {
      const perPlane = Object.fromEntries(Object.entries(s.target_groups ?? {}).filter(([, g]) => g.trim()));
      return {
        ring: s.ring,
        target_group: s.target_group,
        ...(Object.keys(perPlane).length ? { target_groups: perPlane } : {}),
        device_count: count(s.device_count),
      };
    }),
    rollback_plan: {
      strategy: d.rollback_strategy,
      rollback_version: d.rollback_version.trim() || null,
    },
  };
}

const LABELS: Record<string, string> = {
  name: "Name",
  title: "Title",
  change_reason: "Change reason",
  application: "Application",
  version: "Version",
  target_boundary: "Boundary",
  target_business_unit: "Business unit",
  target_site_classes: "Site classes",
  ring_plan: "Ring plan",
  rollback_plan: "Rollback plan",
  "rollback_plan.strategy": "Rollback strategy",
  "rollback_plan.rollback_version": "Roll back to version",
};

/** `ring_plan[1].device_count` → "Ring plan step 2: devices". */
export function labelFor(path: string): string {
  const step = /^ring_plan\[(\d+)\](?:\.(\w+))?(?:\.(.+))?$/.exec(path);
  if (step) {
    const n = Number(step[1]) + 1;
    const part = step[2] ? `: ${humanize(step[2]).toLowerCase().replace("device count", "devices")}` : "";
    return `Ring plan step ${n}${part}${step[3] ? ` on ${step[3]}` : ""}`;
  }
  const site = /^target_site_classes\[(\d+)\]$/.exec(path);
  if (site) return "Site classes";
  return LABELS[path] ?? path;
}

export function anchorFor(path: string): string {
  if (path.startsWith("target_site_classes")) return fieldId("target_site_classes");
  return fieldId(path);
}
