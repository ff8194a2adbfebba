import { describe, expect, it } from "vitest";
import type { Drift, Me } from "../api/client";
import { acceptExpiry, compareStates, driftActions, intentDrift, kindCounts } from "./drift";

const me = (role: string, boundary = "acme", units = ["finance"]): Me =>
  ({ id: "1", username: "u", kind: "user", time_zone: "UTC", roles: [{ role, boundary, business_units: units }] }) as unknown as Me;
const row = (over: Partial<Drift> = {}): Drift =>
  ({ id: "d1", kind: "missing", status: "open", route: "endpoint_ops", boundary: "acme", business_unit: "finance", ...over }) as Drift;

describe("drift helpers", () => {
  it("counts every kind in a fixed order, zero where none", () => {
    expect(kindCounts({ by_kind: { stuck: 2, missing: 5 } })).toEqual([
      { kind: "missing", count: 5 },
      { kind: "extra", count: 0 },
      { kind: "modified", count: 0 },
      { kind: "stale", count: 0 },
      { kind: "stuck", count: 2 },
    ]);
    expect(kindCounts(undefined).every((k) => k.count === 0)).toBe(true);
  });

  it("offers decisions to the route's decider inside their scope only", () => {
    expect(driftActions(me("endpoint_ops"), row())).toEqual(["acknowledge", "resolve", "accept"]);
    expect(driftActions(me("endpoint_ops", "acme", ["sales"]), row())).toEqual([]);
    expect(driftActions(me("cab_approver"), row())).toEqual([]);
    expect(driftActions(me("cab_approver"), row({ route: "cab" }))).toEqual(["acknowledge", "resolve", "accept"]);
    expect(driftActions(me("endpoint_ops"), row({ route: "cab" }))).toEqual([]);
    expect(driftActions(me("endpoint_ops"), row({ route: "auto" }))).toHaveLength(3);
    expect(driftActions(me("auditor"), row())).toEqual([]);
    expect(driftActions(me("endpoint_ops"), row({ status: "accepted" }))).toEqual(["resolve"]);
    expect(driftActions(me("endpoint_ops"), row({ status: "resolved" }))).toEqual([]);
    expect(driftActions(me("endpoint_ops", "*", ["*"]), row())).toHaveLength(3);
  });

  it("checks an acceptance expiry: future, at most 90 days", () => {
    const now = new Date(2026, 0, 1, 12, 0);
    expect(acceptExpiry("2026-01-31", now)).toEqual({ iso: new Date(2026, 0, 31, 23, 59).toISOString() });
    expect(acceptExpiry("2025-12-31", now)).toEqual({ error: "The expiry must be in the future." });
    expect(acceptExpiry("2026-06-01", now)).toMatchObject({ error: expect.stringMatching(/at most 90 days/) });
    expect(acceptExpiry("", now)).toMatchObject({ error: expect.any(String) });
    expect(acceptExpiry("2026-02-30", now)).toEqual({ error: "Give a real calendar date." });
  });

  it("compares expected and observed field by field", () => {
    const rows = compareStates({ version: "8.0.11", installed: true }, { version: "8.0.9", installed: true, extra: null });
    expect(rows).toEqual([
      { key: "version", expected: "8.0.11", observed: "8.0.9", differs: true },
      { key: "installed", expected: "true", observed: "true", differs: false },
      { key: "extra", expected: "—", observed: "none", differs: true },
    ]);
    expect(compareStates(null, "x")).toEqual([{ key: "value", expected: "—", observed: "x", differs: true }]);
  });

  it("sums an intent's open drift and picks out what is stuck", () => {
    const d = intentDrift([
      row({ id: "a", kind: "missing" }),
      row({ id: "b", kind: "missing", status: "remediating" }),
      row({ id: "c", kind: "stuck", status: "escalated" }),
      row({ id: "d", kind: "stuck", status: "resolved" }),
      row({ id: "e", kind: "extra", status: "accepted" }),
    ]);
    expect(d.openTotal).toBe(3);
    expect(d.openByKind).toEqual([
      { kind: "missing", count: 2 },
      { kind: "stuck", count: 1 },
    ]);
    expect(d.stuck.map((s) => s.id)).toEqual(["c"]);
  });
});
