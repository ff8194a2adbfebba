/** Catalog words and who may do what there (UI hints; the server decides every request). */
import type { Application, Me } from "../api/client";
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
