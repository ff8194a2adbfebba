import { describe, expect, it } from "vitest";
import type { Me } from "../api/client";
import { countsOf, demoClockText, errorGroups, pollInterval, rolloutControls, successInputs } from "./rollouts";

const user = (...grants: [string, string?, string[]?][]): Me =>
  ({
    id: 1,
    username: "u",
    roles: grants.map(([role, boundary = "*", business_units = ["*"]]) => ({ role, boundary, business_units })),
  }) as unknown as Me;
const intent = { state: "in_progress", target_boundary: "corp", target_business_unit: "sales" };

describe("rolloutControls", () => {
  it("offers Start only to a publisher in scope, only for an approved intent", () => {
    expect(rolloutControls(user(["publisher"]), { ...intent, state: "approved" }, null)).toEqual(["start"]);
    expect(rolloutControls(user(["publisher"]), { ...intent, state: "submitted" }, null)).toEqual([]);
    expect(rolloutControls(user(["publisher", "other", ["hr"]]), { ...intent, state: "approved" }, null)).toEqual([]);
    expect(rolloutControls(user(["endpoint_ops"]), { ...intent, state: "approved" }, null)).toEqual([]);
  });
  it("gives endpoint ops pause, halt and rollback but never resume or promote", () => {
    expect(rolloutControls(user(["endpoint_ops"]), intent, { status: "running" })).toEqual(["pause", "halt", "rollback"]);
    expect(rolloutControls(user(["endpoint_ops"]), intent, { status: "halted" })).toEqual(["rollback"]);
  });
  it("lets a CAB approver promote only a ring awaiting judgment", () => {
    expect(rolloutControls(user(["cab_approver"]), intent, { status: "awaiting_judgment" })).toEqual(["promote"]);
    expect(rolloutControls(user(["cab_approver"]), intent, { status: "running" })).toEqual([]);
  });
  it("gives a publisher resume on a paused rollout, nothing on a finished one, auditors nothing", () => {
    expect(rolloutControls(user(["publisher"]), intent, { status: "paused" })).toEqual(["resume", "halt", "rollback"]);
    expect(rolloutControls(user(["publisher"]), intent, { status: "completed" })).toEqual([]);
    expect(rolloutControls(user(["auditor"]), intent, { status: "running" })).toEqual([]);
  });
});

describe("demo clock and polling", () => {
  it("says the demo clock plainly, and nothing at real time", () => {
    expect(demoClockText(360)).toBe("Demo clock: 1 s = 6 min");
    expect(demoClockText(3600)).toBe("Demo clock: 1 s = 1 h");
    expect(demoClockText(1)).toBeNull();
    expect(demoClockText(0)).toBeNull();
  });
  it("polls until the rollout is terminal", () => {
    expect(pollInterval("running")).toBe(3000);
    expect(pollInterval(undefined)).toBe(3000);
    expect(pollInterval("completed")).toBe(false);
    expect(pollInterval("rolled_back")).toBe(false);
  });
});

describe("counts, failures and gate inputs", () => {
  it("derives not-reported devices from the group total", () => {
    expect(countsOf({ planned_devices: 10, counts: { installed: 5, failed: 1, pending: 2, not_applicable: 0, total: 10 } })).toMatchObject({
      notReported: 2,
      total: 10,
    });
    expect(countsOf({ planned_devices: 7, counts: {} })).toMatchObject({ total: 7, notReported: 7 });
  });
  it("groups failures by error code across planes, largest first", () => {
    const t = (connector: string, error_codes: unknown) => ({ connector, error_codes }) as never;
    const groups = errorGroups({
      targets: [
        t("intune", { "1603": { count: 2, devices: [{ id: "d1", name: "PC-1" }, { id: "d2", name: "PC-2" }] } }),
        t("jamf", { "1603": { count: 1, devices: [{ id: "m1", name: "MAC-1" }] }, timeout: { count: 5, devices: [] } }),
      ],
    });
    expect(groups.map((g) => [g.code, g.count])).toEqual([
      ["timeout", 5],
      ["1603", 3],
    ]);
    expect(groups[1]!.planes).toEqual(["intune", "jamf"]);
    expect(groups[1]!.devices.map((d) => d.name)).toEqual(["PC-1", "PC-2", "MAC-1"]);
  });
  it("reads the success_rate inputs", () => {
    expect(successInputs({ n: 200, successes: 198, failures: 2, threshold: 0.95, lower: 0.964, upper: 0.997 })).toMatchObject({
      rate: 0.99,
      lower: 0.964,
    });
    expect(successInputs({ n: 3 })).toBeNull();
    expect(successInputs(null)).toBeNull();
  });
});
