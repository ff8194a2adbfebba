import { describe, expect, it } from "vitest";
import type { CabDecision } from "../api/client";
import { sectionGaps } from "../components/EvidencePackViewer";
import { latestAssessment } from "../components/IntentGovernance";
import { approvalsCounted, daysUntil, expiringSoon, lookOf, quorumText, CAB_STATE } from "./governance";

const decision = (approver: string, kind: CabDecision["kind"], revoked = false): CabDecision =>
  ({ id: `${approver}-${kind}`, request: "r", approver, kind, revoked, revoked_by: null, revoke_reason: null }) as CabDecision;

describe("governance helpers", () => {
  it("counts each approving person once, ignoring rejections and revoked approvals", () => {
    const ds = [decision("a", "approve"), decision("a", "conditional"), decision("b", "reject"), decision("c", "approve", true)];
    expect(approvalsCounted(ds)).toBe(1);
    expect(quorumText({ decisions: ds, quorum: 3 })).toBe("1 of 3 approvals");
    expect(quorumText({ decisions: [], quorum: 1 })).toBe("0 of 1 approval");
  });

  it("flags approved exceptions expiring within 14 days", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(daysUntil("2026-01-11T00:00:00Z", now)).toBe(10);
    expect(expiringSoon("approved", "2026-01-11T00:00:00Z", now)).toBe(true);
    expect(expiringSoon("approved", "2026-02-11T00:00:00Z", now)).toBe(false);
    expect(expiringSoon("requested", "2026-01-11T00:00:00Z", now)).toBe(false);
    expect(expiringSoon("approved", "2025-12-30T00:00:00Z", now)).toBe(false);
  });

  it("falls back to the raw value for unknown states", () => {
    expect(lookOf(CAB_STATE, "open").label).toBe("Open");
    expect(lookOf(CAB_STATE, "weird").label).toBe("weird");
  });

  it("lists required sections missing from a sealed pack, not optional provenance", () => {
    expect(sectionGaps({ sbom: [{}], signature: [{}] })).toEqual([
      "vulnerability_scan",
      "malware_scan",
      "install_facts",
      "rollback_plan",
      "test_evidence",
    ]);
  });

  it("picks the newest primary assessment and its parallel twin", () => {
    const rows = [
      { id: "1", role: "primary", created_at: "2026-01-01T00:00:00Z" },
      { id: "2", role: "primary", created_at: "2026-01-02T00:00:00Z" },
      { id: "3", role: "parallel", primary: "2", created_at: "2026-01-02T00:00:01Z" },
    ] as Parameters<typeof latestAssessment>[0];
    const { primary, parallel } = latestAssessment(rows);
    expect(primary?.id).toBe("2");
    expect(parallel?.id).toBe("3");
  });
});
