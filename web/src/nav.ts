/**
 * The navigation, as data. Later capabilities add their screens here (evidence packs under
 * Evidence, CAB queue / risk / exceptions under Change, connectors under Operations) and the
 * layout picks them up; a section with no visible item is not shown.
 */
import type { Me } from "./api/client";
import { hasRole, isPlatformAdmin } from "./lib/permissions";

export interface NavItem {
  to: string;
  label: string;
  /** Match only the exact path (the dashboard at `/`). */
  end?: boolean;
  visible?: (user: Me) => boolean;
}

export interface NavSection {
  label: string;
  items: NavItem[];
}

export const NAV: NavSection[] = [
  {
    label: "Overview",
    items: [
      { to: "/", label: "Dashboard", end: true },
      { to: "/notifications", label: "Notifications" },
    ],
  },
  { label: "Catalog", items: [{ to: "/applications", label: "Applications" }] },
  {
    label: "Change",
    items: [
      { to: "/intents", label: "Intents" },
      { to: "/intents/apply", label: "Apply a manifest", visible: (u) => hasRole(u, "publisher") },
      { to: "/cab", label: "CAB queue" },
      { to: "/exceptions", label: "Exceptions" },
      { to: "/risk/rubrics", label: "Risk rubric" },
    ],
  },
  {
    label: "Operations",
    items: [
      { to: "/rollouts", label: "Rollouts" },
      { to: "/incidents", label: "Incidents" },
      { to: "/drift", label: "Drift" },
      { to: "/windows", label: "Maintenance windows" },
      { to: "/sites", label: "Sites" },
      {
        to: "/connectors",
        label: "Connectors",
        visible: (u) => hasRole(u, "platform_admin", "endpoint_ops", "auditor", "security_reviewer"),
      },
    ],
  },
  {
    label: "Evidence",
    items: [
      { to: "/ledger", label: "Ledger" },
      { to: "/components", label: "Components" },
      { to: "/trusted-keys", label: "Trusted keys" },
    ],
  },
  {
    label: "Administration",
    items: [
      { to: "/settings", label: "Settings", visible: isPlatformAdmin },
      { to: "/webhooks", label: "Webhooks", visible: (u) => hasRole(u, "platform_admin", "auditor") },
      { to: "/siem", label: "SIEM streaming", visible: (u) => hasRole(u, "platform_admin", "auditor") },
      { to: "/single-sign-on", label: "Single sign-on", visible: (u) => hasRole(u, "platform_admin", "auditor") },
    ],
  },
];

export function visibleNav(user: Me): NavSection[] {
  return NAV.map((s) => ({ ...s, items: s.items.filter((i) => !i.visible || i.visible(user)) })).filter(
    (s) => s.items.length > 0,
  );
}
