"""Vulnerability scans (Trivy JSON, Grype JSON) normalised to findings, and malware scan results.

A scan names what it scanned: an image or file digest, or the SBOM it was run over. The service
refuses a scan whose digests match neither the artifact nor the artifact's SBOM.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from fleetgate.evidence.documents import (
    BLOCKING,
    FileIssues,
    Finding,
    Kind,
    Parsed,
    Severity,
    Status,
    band,
    digests_in,
    from_pydantic,
    load_json,
)

WHAT = "vulnerability scan (Trivy or Grype JSON)"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# --- Trivy (trivy image|fs|sbom --format json) ---------------------------------------------------


class TrivyCvss(_Open):
    V3Score: float | None = None
    V2Score: float | None = None


class TrivyVulnerability(_Open):
    VulnerabilityID: str
    PkgName: str
    InstalledVersion: str = ""
    FixedVersion: str = ""
    Severity: str = "UNKNOWN"
    CVSS: dict[str, TrivyCvss] = Field(default_factory=dict)


class TrivyResult(_Open):
    Target: str
    Vulnerabilities: list[TrivyVulnerability] | None = None


class TrivyReport(_Open):
    SchemaVersion: int
    ArtifactName: str
    ArtifactType: str = ""
    Metadata: dict[str, Any] = Field(default_factory=dict)
    Results: list[TrivyResult] | None = None


# --- Grype (grype ... -o json) ---------------------------------------------------------------------


class GrypeMetrics(_Open):
    baseScore: float


class GrypeCvss(_Open):
    type: str = ""
    version: str = ""
    metrics: GrypeMetrics


class GrypeFix(_Open):
    versions: list[str] = Field(default_factory=list)
    state: str = ""


class GrypeVulnerability(_Open):
    id: str
    severity: str = "Unknown"
    fix: GrypeFix = Field(default_factory=GrypeFix)
    cvss: list[GrypeCvss] = Field(default_factory=list)


class GrypeArtifact(_Open):
    name: str
    version: str = ""
    purl: str = ""


class GrypeMatch(_Open):
    vulnerability: GrypeVulnerability
    artifact: GrypeArtifact


class GrypeDescriptor(_Open):
    name: str
    version: str = ""


class GrypeReport(_Open):
    matches: list[GrypeMatch]
    source: dict[str, Any]
    descriptor: GrypeDescriptor


def parse(raw: bytes, filename: str) -> Parsed:
    document = load_json(raw, filename, WHAT)
    if isinstance(document, dict) and "SchemaVersion" in document and "ArtifactName" in document:
        return _trivy(document, filename)
    if isinstance(document, dict) and "matches" in document:
        return _grype(document, filename)
    FileIssues(filename).fail(
        "$", "scan-format", "Not a Trivy (SchemaVersion, ArtifactName, Results) or Grype (matches) JSON report.", WHAT
    )
    raise AssertionError("unreachable")  # pragma: no cover


def _score(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _trivy(document: dict[str, Any], filename: str) -> Parsed:
    try:
        report = TrivyReport.model_validate(document)
    except PydanticError as exc:
        raise from_pydantic(exc, filename, "Trivy report") from None
    findings = []
    for result in report.Results or []:
        for v in result.Vulnerabilities or []:
            cvss = v.CVSS.get("nvd") or next(iter(v.CVSS.values()), None)
            score = _score(cvss.V3Score) if cvss else None
            findings.append(
                Finding(
                    id=v.VulnerabilityID,
                    severity=band(score, v.Severity),
                    component=v.PkgName,
                    installed_version=v.InstalledVersion,
                    fixed_version=v.FixedVersion,
                    score=None if score is None else str(score),
                )
            )
    tool = {"name": "trivy", "schema_version": report.SchemaVersion}
    return _result("trivy", tool, report.ArtifactName, findings, digests_in(report.ArtifactName, report.Metadata))


def _grype(document: dict[str, Any], filename: str) -> Parsed:
    try:
        report = GrypeReport.model_validate(document)
    except PydanticError as exc:
        raise from_pydantic(exc, filename, "Grype report") from None
    findings = []
    for match in report.matches:
        v = match.vulnerability
        primary = sorted(v.cvss, key=lambda c: (c.type != "Primary", c.version), reverse=False)
        score = _score(primary[0].metrics.baseScore) if primary else None
        findings.append(
            Finding(
                id=v.id,
                severity=band(score, v.severity),
                component=match.artifact.name,
                installed_version=match.artifact.version,
                fixed_version=", ".join(v.fix.versions),
                score=None if score is None else str(score),
            )
        )
    tool = {"name": report.descriptor.name, "version": report.descriptor.version}
    target = report.source.get("target")
    name = target if isinstance(target, str) else str((target or {}).get("userInput", ""))
    return _result("grype", tool, name, findings, digests_in(report.source))


def _result(fmt: str, tool: dict[str, Any], target: str, findings: list[Finding], digests: set[str]) -> Parsed:
    unique = sorted({(f.id, f.component, f.installed_version): f for f in findings}.values(), key=_order)
    counts = {str(s): sum(1 for f in unique if f.severity == s) for s in Severity}
    return Parsed(
        kind=Kind.VULNERABILITY_SCAN,
        format=fmt,
        status=Status.RECORDED,
        summary={
            "format": fmt,
            "tool": tool,
            "target": target,
            "target_digests": sorted(digests),
            "counts": counts,
            "blocking": sum(1 for f in unique if f.severity in BLOCKING),
            "findings": [f.as_dict() for f in unique],
        },
        digests=digests,
    )


def _order(f: Finding) -> tuple[int, str, str, str]:
    return (list(Severity).index(f.severity), f.id, f.component, f.installed_version)


# --- malware ---------------------------------------------------------------------------------------


class Detection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    path: str = ""


class MalwareScan(BaseModel):
    """fleetgate.malware-scan/v1: what the AV engine said about the artifact's exact bytes."""

    model_config = ConfigDict(extra="forbid")
    scanner: str = Field(min_length=1)
    scanner_version: str = ""
    signatures_version: str = ""
    target_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    result: Literal["clean", "detected", "error"]
    detections: list[Detection] = Field(default_factory=list)
    scanned_at: str = ""


def parse_malware(raw: bytes, filename: str) -> Parsed:
    document = load_json(raw, filename, "malware scan result")
    try:
        scan = MalwareScan.model_validate(document)
    except PydanticError as exc:
        raise from_pydantic(exc, filename, "malware scan result (fleetgate.malware-scan/v1)") from None
    if scan.result == "detected" and not scan.detections:
        FileIssues(filename).fail(
            "$.detections", "required", "A 'detected' result names at least one detection.", "malware scan result"
        )
    return Parsed(
        kind=Kind.MALWARE_SCAN,
        format="fleetgate.malware-scan/v1",
        status=Status.RECORDED,
        summary=scan.model_dump(),
        digests={scan.target_sha256},
    )
