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
    "scan-binding",
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
        items = _items(body, kind)
        if kind == Kind.SBOM and items and not any(_counts_as_sbom(i) for i in items):
            gaps.append(
                Gap(
                    "sections-present",
                    f"sections.{kind}",
                    "The attached SBOM lists no components, so it does not count; attach one generated from the "
                    "build or the installed files.",
                )
            )
        elif not items:
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
    gaps += _scan_bindings(body)
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


def _counts_as_sbom(item: dict[str, Any]) -> bool:
    return int(item["summary"].get("component_count", 1)) > 0


def _scan_bindings(body: dict[str, Any]) -> list[Gap]:
    """Each scan still speaks of this artifact: by digest, through an SBOM in this pack, or by the
    packager's declaration. The verifier re-runs this, so a pack is never sealed that it rejects."""
    digest = body["artifact"]["sha256"]
    sboms = {s["document_sha256"] for s in _items(body, Kind.SBOM)}
    gaps = []
    for scan in _items(body, Kind.VULNERABILITY_SCAN):
        summary = scan["summary"]
        if summary.get("binding") == "declared":
            bound = summary.get("bound_to") == digest
        else:
            bound = bool(set(summary.get("target_digests", [])) & ({digest} | sboms))
        if not bound:
            gaps.append(
                Gap(
                    "scan-binding",
                    "sections.vulnerability_scan",
                    f"Scan {scan['filename']} names neither this artifact nor an SBOM in this pack (was its SBOM "
                    "replaced?); scan the current SBOM or the artifact again.",
                )
            )
    return gaps
