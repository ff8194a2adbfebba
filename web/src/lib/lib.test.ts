import { describe, expect, it } from "vitest";
import type { Me } from "../api/client";
import { diff, flatten, showValue } from "./diff";
import { errorId, fieldId } from "./fields";
import { formatBytes, formatDateTime, humanize, isoToLocalInput, localInputToIso, stringList } from "./format";
import { ringNames, ringPlanOf, ringStatus, rollbackPlanOf, stateInfo, STATE_INFO } from "./intents";
import { canPublish, canPublishTo, canVerifyLedger, describeScope, grantCovers, isPlatformAdmin, publisherScopes } from "./permissions";

const me = (roles: Me["roles"]): Me => ({ id: "1", username: "u", kind: "user", time_zone: "UTC", roles });
const publisher = me([{ role: "publisher", boundary: "acme", business_units: ["finance", "engineering"] }]);
const admin = me([{ role: "platform_admin", boundary: "*", business_units: ["*"] }]);
const auditor = me([{ role: "auditor", boundary: "*", business_units: ["*"] }]);

describe("permissions (UI hints)", () => {
  it("scopes publishers to their boundary and business units", () => {
    expect(canPublish(publisher)).toBe(true);
    expect(canPublishTo(publisher, "acme", "finance")).toBe(true);
    expect(canPublishTo(publisher, "acme", "sales")).toBe(false);
    expect(canPublishTo(publisher, "globex", "finance")).toBe(false);
    expect(canPublishTo(admin, "acme", "finance")).toBe(false);
    expect(grantCovers({ role: "publisher", boundary: "*", business_units: ["*"] }, "x", "y")).toBe(true);
  });
  it("lets oversight roles verify the ledger and only admins into settings", () => {
    expect(canVerifyLedger(auditor)).toBe(true);
    expect(canVerifyLedger(publisher)).toBe(false);
    expect(isPlatformAdmin(admin)).toBe(true);
    expect(isPlatformAdmin(auditor)).toBe(false);
    expect(isPlatformAdmin(null)).toBe(false);
  });
  it("describes scopes in words and suggests targets", () => {
    expect(describeScope(publisher.roles[0]!)).toBe("boundary acme, business units finance, engineering");
    expect(describeScope(admin.roles[0]!)).toBe("all boundaries, all business units");
    expect(publisherScopes(publisher)).toEqual({ boundaries: ["acme"], businessUnits: ["engineering", "finance"] });
  });
});

describe("intent helpers", () => {
  it("labels every state with text and an icon", () => {
    for (const [state, info] of Object.entries(STATE_INFO)) {
      expect(info.label.length, state).toBeGreaterThan(2);
      expect(info.icon, state).toBeTruthy();
    }
    expect(stateInfo("something-new").label).toBe("something-new");
  });
  it("makes absent optional plan fields explicit", () => {
    expect(ringPlanOf({ ring_plan: [{ ring: "lab", target_group: "G", device_count: 5 }] })).toEqual([
      { ring: "lab", target_group: "G", device_count: 5, not_before: null },
    ]);
    expect(ringPlanOf({ ring_plan: [] })).toEqual([]);
    expect(rollbackPlanOf({ rollback_plan: { strategy: "uninstall" } })).toEqual({ strategy: "uninstall", rollback_version: null });
  });
  it("takes ring names from the active policy, else the defaults", () => {
    expect(ringNames(undefined)).toEqual(["lab", "canary", "pilot", "department", "global"]);
    expect(
      ringNames([{ version: "2", sha256: "", active: true, document: { rings: [{ name: "lab" }, { name: "all" }] } }]),
    ).toEqual(["lab", "all"]);
  });
  it("derives each ring's status from the intent state", () => {
    expect(ringStatus("draft", false).label).toBe("Not planned");
    expect(ringStatus("draft", true).label).toBe("Planned (draft)");
    expect(ringStatus("submitted", true).label).toBe("Awaiting approval");
    expect(ringStatus("completed", true)).toMatchObject({ icon: "check", tone: "success" });
    expect(ringStatus("halted", true)).toMatchObject({ icon: "stop", tone: "danger" });
  });
});

describe("field paths", () => {
  it("maps problem paths to control ids", () => {
    expect(fieldId("title")).toBe("f-title");
    expect(fieldId("ring_plan[1].device_count")).toBe("f-ring_plan-1-device_count");
    expect(fieldId("rollback_plan.rollback_version")).toBe("f-rollback_plan-rollback_version");
    expect(errorId("ring_plan[0]")).toBe("f-ring_plan-0-error");
  });
});

describe("diff", () => {
  it("flattens nested values to paths", () => {
    expect([...flatten({ a: { b: [1, { c: 2 }] }, d: [] }).entries()]).toEqual([
      ["a.b[0]", 1],
      ["a.b[1].c", 2],
      ["d", []],
    ]);
    expect(flatten(null).size).toBe(0);
  });
  it("classifies added, removed, changed and unchanged fields", () => {
    const rows = diff({ state: "draft", revision: 1, title: "t", old: true }, { state: "submitted", revision: 2, title: "t", added: 1 });
    const kinds = Object.fromEntries(rows.map((r) => [r.path, r.kind]));
    expect(kinds).toEqual({ state: "changed", revision: "changed", title: "unchanged", old: "removed", added: "added" });
    expect(diff(null, { a: 1 })).toEqual([{ path: "a", kind: "added", after: 1 }]);
    expect(diff(null, null)).toEqual([]);
  });
  it("shows values as text", () => {
    expect(showValue("x")).toBe("x");
    expect(showValue({ a: 1 })).toBe('{"a":1}');
    expect(showValue(undefined)).toBe("");
  });
});

describe("formatting", () => {
  it("formats dates in UTC", () => {
    expect(formatDateTime("2026-01-02T03:04:05Z")).toBe("2026-01-02 03:04 UTC");
    expect(formatDateTime(null)).toBe("—");
    expect(formatDateTime("nonsense")).toBe("nonsense");
  });
  it("formats sizes", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(2048)).toBe("2.0 KiB");
    expect(formatBytes(5 * 1024 * 1024 * 1024)).toBe("5.0 GiB");
    expect(formatBytes(undefined)).toBe("—");
  });
  it("humanizes codes and reads string lists", () => {
    expect(humanize("in_progress")).toBe("In progress");
    expect(humanize("")).toBe("—");
    expect(stringList(["a", 1, "b"])).toEqual(["a", "b"]);
    expect(stringList("a")).toEqual([]);
  });
  it("converts datetime-local (UTC) to ISO and back", () => {
    expect(localInputToIso("2026-03-04T05:06")).toBe("2026-03-04T05:06:00.000Z");
    expect(localInputToIso("")).toBe("");
    expect(isoToLocalInput("2026-03-04T05:06:00.000Z")).toBe("2026-03-04T05:06");
  });
});
