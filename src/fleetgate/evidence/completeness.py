"""Completeness: named checks over a pack body, all reported at once. Pure, so the offline verifier
re-runs exactly the rules the sealing service ran."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetgate.core.errors import FieldIssue
from fleetgate.evidence.documents import BLOCKING, Kind, Severity, Status
from fleetgate.evidence.inputs import ApprovedException, ExceptionSet

REQUIRED_SECTIONS = (
    Kind.SBOM,
    Kind.VULNERABILITY_SCAN,
    Kind.MALWARE_SCAN,
    Kind.SIGNATURE,
    Kind.INSTALL_FACTS,
    Kind.ROLLBACK_PLAN,
    Kind.TEST_EVIDENCE,
)
CHECKS = (
    "sections-present",
    "risk-assessed",
    "artifact-digest",
    "signature-verified",
    "no-blocking-findings",
    "no-malware",
    "rollback-validated",
    "lab-install-succeeded",
    "cab-submission",
)


@dataclass(frozen=True)
class Gap:
    check: str
    field: str
    message: str

    def as_issue(self) -> FieldIssue:
        return FieldIssue(self.field, self.check, self.message)


def exception_set(body: dict[str, Any]) -> ExceptionSet:
    at = datetime.fromisoformat(body["sealed_at"])
    items = [
        ApprovedException(
            id=e["id"],
            kind=e["kind"],
            subject=e["subject"],
            expires_at=datetime.fromisoformat(e["expires_at"]),
            approved_by=e.get("approved_by", ""),
        )
        for e in body.get("exceptions", [])
    ]
    return ExceptionSet.in_force(items, at)


def _items(body: dict[str, Any], kind: Kind) -> list[dict[str, Any]]:
    return list(body.get("sections", {}).get(str(kind), []))


def check(body: dict[str, Any], *, artifact_digest_ok: bool = True) -> list[Gap]:
    """Every gap in the pack body; empty when it may be sealed."""
    gaps: list[Gap] = []
    exceptions = exception_set(body)
    for kind in REQUIRED_SECTIONS:
        if not _items(body, kind):
            gaps.append(
                Gap(
                    "sections-present",
                    f"sections.{kind}",
                    f"No {kind.replace('_', ' ')} attached; add one with `fleetgate evidence add --kind {kind}`.",
                )
            )
    risk = body.get("risk")
    if not risk:
        gaps.append(Gap("risk-assessed", "risk", "The intent has no risk assessment; run `fleetgate risk assess`."))
    if not artifact_digest_ok:
        gaps.append(
            Gap(
                "artifact-digest",
                "artifact.sha256",
                "The stored artifact bytes no longer hash to the registered digest.",
            )
        )
    signatures = _items(body, Kind.SIGNATURE)
    if signatures and not any(s["status"] == Status.VERIFIED for s in signatures) and not exceptions.unsigned_package:
        gaps.append(
            Gap(
                "signature-verified",
                "sections.signature",
                "No signature Fleetgate verified (declared platform signatures do not count) and no approved "
                "unsigned_package exception.",
            )
        )
    gaps += _findings(body, exceptions)
    for scan in _items(body, Kind.MALWARE_SCAN):
        if scan["summary"].get("result") != "clean":
            gaps.append(
                Gap(
                    "no-malware",
                    "sections.malware_scan",
                    f"Malware scan result is '{scan['summary'].get('result')}'; malware can never be excepted.",
                )
            )
    for plan in _items(body, Kind.ROLLBACK_PLAN):
        if not plan["summary"].get("validated"):
            gaps.append(
                Gap("rollback-validated", "sections.rollback_plan", "The rollback plan is not validated in Lab.")
            )
    for tests in _items(body, Kind.TEST_EVIDENCE):
        if int(tests["summary"].get("ring0_results", {}).get("succeeded", 0)) < 1:
            gaps.append(
                Gap("lab-install-succeeded", "sections.test_evidence", "Lab (ring 0) has no successful install.")
            )
    cab = body.get("cab_submission") or {}
    if risk and risk.get("cab_required") and not cab.get("present"):
        gaps.append(
            Gap(
                "cab-submission",
                "cab_submission",
                f"Risk {risk.get('score')} requires CAB, and no CAB submission is present.",
            )
        )
    return gaps


def _findings(body: dict[str, Any], exceptions: ExceptionSet) -> list[Gap]:
    gaps = []
    for scan in _items(body, Kind.VULNERABILITY_SCAN):
        for finding in scan["summary"].get("findings", []):
            if Severity(finding["severity"]) in BLOCKING and not exceptions.covers_finding(finding["id"]):
                gaps.append(
                    Gap(
                        "no-blocking-findings",
                        f"sections.vulnerability_scan.{finding['id']}",
                        f"{finding['severity']} {finding['id']} in {finding['component']} "
                        f"{finding['installed_version']} "
                        "has no approved, unexpired exception"
                        + (f"; fixed in {finding['fixed_version']}." if finding.get("fixed_version") else "."),
                    )
                )
    return gaps
