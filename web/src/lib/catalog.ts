/** Catalog words and who may do what there (UI hints; the server decides every request). */
import type { Application, Me, RoleGrant, RoleName } from "../api/client";
import { grantCovers, hasRole } from "./permissions";
import { stringList } from "./format";

export const PLATFORMS = [
  { value: "windows", label: "Windows" },
  { value: "macos", label: "macOS" },
  { value: "linux", label: "Linux" },
  { value: "ios", label: "iOS" },
  { value: "android", label: "Android" },
] as const;

export const CATEGORIES = [
  { value: "productivity", label: "Productivity" },
  { value: "business", label: "Business application" },
  { value: "security", label: "Security tooling" },
  { value: "infrastructure", label: "Infrastructure agent" },
  { value: "developer", label: "Developer tools" },
  { value: "utility", label: "Utility" },
] as const;

/** Package formats per platform, spelled as their vendors do. */
export const FORMATS: Record<string, { value: string; label: string }[]> = {
  windows: [
    { value: "msi", label: "MSI" },
    { value: "msix", label: "MSIX" },
    { value: "exe", label: "EXE" },
    { value: "intunewin", label: "Intune Win32 (.intunewin)" },
  ],
  macos: [
    { value: "pkg", label: "PKG" },
    { value: "dmg", label: "DMG" },
  ],
  linux: [
    { value: "deb", label: "DEB" },
    { value: "rpm", label: "RPM" },
  ],
  ios: [],
  android: [],
};

export function platformLabel(value: string): string {
  return PLATFORMS.find((p) => p.value === value)?.label ?? value;
}

export function formatLabel(value: string): string {
  return Object.values(FORMATS).flat().find((f) => f.value === value)?.label ?? value.toUpperCase();
}

/** The format a file name suggests (e.g. `setup.msi` → msi), if it is one of the platform's. */
export function formatFromName(filename: string, platform: string): string {
  const ext = filename.toLowerCase().split(".").pop() ?? "";
  return (FORMATS[platform] ?? []).some((f) => f.value === ext) ? ext : "";
}

export const canRegisterApplication = (user: Me | null | undefined) => hasRole(user, "platform_admin", "packaging_engineer");
export const canPackage = (user: Me | null | undefined) => hasRole(user, "packaging_engineer");

/**
 * Boundaries and business units the person may register an application in: named in their
 * grants, or (for an all-boundaries grant) the ones the catalog already holds.
 */
export function registrationScopes(user: Me | null | undefined, apps: Application[]): { boundaries: string[]; businessUnits: string[] } {
  const grants = (user?.roles ?? []).filter((g) => g.role === "packaging_engineer" || g.role === "platform_admin");
  const boundaries = new Set<string>();
  const units = new Set<string>();
  for (const g of grants) {
    if (g.boundary && g.boundary !== "*") boundaries.add(g.boundary);
    for (const u of g.business_units ?? []) if (u !== "*") units.add(u);
  }
  for (const a of apps) {
    for (const u of stringList(a.business_units)) {
      if (u === "*") continue;
      if (grants.some((g) => grantCovers(g, a.boundary, u))) {
        boundaries.add(a.boundary);
        units.add(u);
      }
    }
  }
  return { boundaries: [...boundaries].sort(), businessUnits: [...units].sort() };
}

const ANY = "*";
const sorted = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));

/**
 * The boundaries and business units Fleetgate knows: those the applications are registered in and
 * those the signed-in person's grants name ("*", meaning every one, is not a value and is left out).
 * `boundary` narrows the business units to the ones known in that boundary; `roles` keeps only the
 * values one of the person's grants for those roles covers (where the server would accept them).
 */
export function knownScopes(
  user: Me | null | undefined,
  apps: Application[],
  { boundary, roles }: { boundary?: string; roles?: RoleName[] } = {},
): { boundaries: string[]; businessUnits: string[] } {
  const boundaries = new Set<string>();
  const units = new Set<string>();
  for (const a of apps) {
    if (a.boundary && a.boundary !== ANY) boundaries.add(a.boundary);
    if (boundary === undefined || a.boundary === boundary) for (const u of stringList(a.business_units)) if (u !== ANY) units.add(u);
  }
  for (const g of user?.roles ?? []) {
    const b = g.boundary ?? ANY;
    if (b !== ANY) boundaries.add(b);
    if (boundary === undefined || b === ANY || b === boundary) for (const u of g.business_units ?? []) if (u !== ANY) units.add(u);
  }
  const grants = roles ? (user?.roles ?? []).filter((g) => roles.includes(g.role)) : null;
  const inBoundary = (g: RoleGrant, b: string) => (g.boundary ?? ANY) === ANY || g.boundary === b;
  return {
    boundaries: sorted(boundaries).filter((b) => !grants || grants.some((g) => inBoundary(g, b))),
    businessUnits: sorted(units).filter(
      (u) => !grants || grants.some((g) => (boundary === undefined ? true : inBoundary(g, boundary)) && ((g.business_units ?? [ANY]).includes(ANY) || (g.business_units ?? []).includes(u))),
    ),
  };
}

/** What an intent for `app` may target: where the application's scope and the person's publisher grants meet. */
export type IntentTargets = {
  /** The application's boundary when a publisher grant covers it (so one value or none). */
  boundaries: string[];
  /** The application's business units a publisher grant covers in that boundary. */
  businessUnits: string[];
  /** Every business unit would do, but Fleetgate knows none by name: the person types it. */
  openUnits: boolean;
};

export function intentTargets(user: Me | null | undefined, app: Application | undefined, apps: Application[]): IntentTargets {
  if (!app) return { boundaries: [], businessUnits: [], openUnits: false };
  const grants = (user?.roles ?? []).filter((g) => g.role === "publisher" && ((g.boundary ?? ANY) === ANY || g.boundary === app.boundary));
  if (!grants.length) return { boundaries: [], businessUnits: [], openUnits: false };
  const appUnits = stringList(app.business_units);
  const appAll = appUnits.includes(ANY);
  const candidates = appAll ? knownScopes(user, apps, { boundary: app.boundary }).businessUnits : appUnits;
  const businessUnits = candidates.filter((u) => grants.some((g) => grantCovers(g, app.boundary, u))).sort((a, b) => a.localeCompare(b));
  const grantAll = grants.some((g) => (g.business_units ?? [ANY]).includes(ANY));
  return { boundaries: [app.boundary], businessUnits, openUnits: appAll && grantAll && businessUnits.length === 0 };
}
