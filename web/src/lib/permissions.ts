/**
 * What the signed-in person may try, from their role grants. These are UI hints only (hide what
 * cannot work); the server decides every request and its 403 is always shown when it refuses.
 */
import type { Me, RoleGrant, RoleName } from "../api/client";

export const ROLE_LABELS: Record<RoleName, string> = {
  platform_admin: "Platform Admin",
  packaging_engineer: "Packaging Engineer",
  publisher: "Publisher",
  cab_approver: "CAB Approver",
  security_reviewer: "Security Reviewer",
  endpoint_ops: "Endpoint Ops",
  auditor: "Auditor",
};

export const ALL_ROLES = Object.keys(ROLE_LABELS) as RoleName[];

const ANY = "*";

export function hasRole(user: Me | null | undefined, ...roles: RoleName[]): boolean {
  return !!user && user.roles.some((g) => roles.includes(g.role));
}

export function grantCovers(grant: RoleGrant, boundary: string, businessUnit: string): boolean {
  const grantBoundary = grant.boundary ?? ANY;
  const units = grant.business_units ?? [ANY];
  if (grantBoundary !== ANY && grantBoundary !== boundary) return false;
  return units.includes(ANY) || units.includes(businessUnit);
}

/** Publishers create, edit, submit and cancel intents inside their scope. */
export function canPublish(user: Me | null | undefined): boolean {
  return hasRole(user, "publisher");
}

export function canPublishTo(user: Me | null | undefined, boundary: string, businessUnit: string): boolean {
  return !!user && user.roles.some((g) => g.role === "publisher" && grantCovers(g, boundary, businessUnit));
}

export function canVerifyLedger(user: Me | null | undefined): boolean {
  return hasRole(user, "auditor", "platform_admin", "security_reviewer");
}

export const canExportLedger = canVerifyLedger;

export function isPlatformAdmin(user: Me | null | undefined): boolean {
  return hasRole(user, "platform_admin");
}

export function describeScope(grant: RoleGrant): string {
  const boundary = grant.boundary ?? ANY;
  const units = grant.business_units ?? [ANY];
  const b = boundary === ANY ? "all boundaries" : `boundary ${boundary}`;
  const u = units.includes(ANY) ? "all business units" : `business units ${units.join(", ")}`;
  return `${b}, ${u}`;
}

/** Boundaries and business units a publisher may target, for form suggestions. */
export function publisherScopes(user: Me | null | undefined): { boundaries: string[]; businessUnits: string[] } {
  const boundaries = new Set<string>();
  const units = new Set<string>();
  for (const g of user?.roles ?? []) {
    if (g.role !== "publisher") continue;
    if (g.boundary && g.boundary !== ANY) boundaries.add(g.boundary);
    for (const u of g.business_units ?? []) if (u !== ANY) units.add(u);
  }
  return { boundaries: [...boundaries].sort(), businessUnits: [...units].sort() };
}
