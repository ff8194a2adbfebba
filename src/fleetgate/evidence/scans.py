"""Vulnerability scans (Trivy JSON, Grype JSON) normalised to findings, and malware scan results.

A scan names what it scanned: an image or file digest, or the SBOM it was run over. The service
refuses a scan whose digests match neither the artifact nor the artifact's SBOM.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
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


def _cvss_score() -> Any:
    return Field(None, ge=0, le=10, allow_inf_nan=False)


class TrivyCvss(_Open):
    V40Score: float | None = _cvss_score()
    V3Score: float | None = _cvss_score()
    V2Score: float | None = _cvss_score()


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
    CreatedAt: str = ""  # when the scan ran (Trivy 0.48+)
    Metadata: dict[str, Any] = Field(default_factory=dict)
    Results: list[TrivyResult] | None = None


# --- Grype (grype ... -o json) ---------------------------------------------------------------------


class GrypeMetrics(_Open):
    baseScore: float = Field(ge=0, le=10, allow_inf_nan=False)


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
    timestamp: str = ""  # when the scan ran
    db: dict[str, Any] = Field(default_factory=dict)  # `built` (schema v5) or `status.built` (v6)


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
    if isinstance(document, dict) and document.get("bomFormat") == "CycloneDX" and "vulnerabilities" in document:
        from fleetgate.evidence import sbom  # sbom reads the findings of a CycloneDX SBOM through here

        parsed = sbom.parse(raw, filename)
        # `"vulnerabilities": []` is a scan that found nothing: no derived scan, but a valid (clean) one
        return parsed.derived[0] if parsed.derived else from_cyclonedx(document, filename, parsed.format)
    FileIssues(filename).fail(
        "$",
        "scan-format",
        "Not a Trivy (SchemaVersion, ArtifactName, Results), Grype (matches) or CycloneDX (vulnerabilities) "
        "JSON report.",
        WHAT,
    )
    raise AssertionError("unreachable")  # pragma: no cover


LABELS_BY_TOOL = {
    "trivy": ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"),
    "grype": ("Unknown", "Negligible", "Low", "Medium", "High", "Critical"),
    "cyclonedx": ("critical", "high", "medium", "low", "info", "none", "unknown"),
}


def _label(value: str, tool: str, path: str, issues: FileIssues) -> str:
    """A severity label the tool can write; anything else ('SEVERE') is refused, never read as None."""
    if value.strip().lower() not in {label.lower() for label in LABELS_BY_TOOL[tool]}:
        issues.add(
            path, "severity-label", f"'{value[:40]}' is not a {tool} severity; use {', '.join(LABELS_BY_TOOL[tool])}."
        )
    return value


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        return (0,)


def highest_version(candidates: Sequence[tuple[tuple[int, ...], bool, float]]) -> Decimal | None:
    """(CVSS version, preferred source, base score): the highest version present decides (v4 over
    v3.1 over v2); at that version the preferred source (NVD, Primary), else the highest score."""
    if not candidates:
        return None
    top = max(version for version, _, _ in candidates)
    at_top = [(preferred, score) for version, preferred, score in candidates if version == top]
    preferred = [score for chosen, score in at_top if chosen]
    return Decimal(str(preferred[0] if preferred else max(score for _, score in at_top)))


def _trivy_score(cvss: dict[str, TrivyCvss]) -> Decimal | None:
    candidates = []
    for source, c in cvss.items():
        for version, value in (((4, 0), c.V40Score), ((3, 1), c.V3Score), ((2, 0), c.V2Score)):
            if value is not None:
                candidates.append((version, source == "nvd", value))
    return highest_version(candidates)


def _trivy(document: dict[str, Any], filename: str) -> Parsed:
    try:
        report = TrivyReport.model_validate(document)
    except PydanticError as exc:
        raise from_pydantic(exc, filename, "Trivy report") from None
    issues = FileIssues(filename)
    findings = []
    for r, result in enumerate(report.Results or []):
        for i, v in enumerate(result.Vulnerabilities or []):
            label = _label(v.Severity, "trivy", f"$.Results[{r}].Vulnerabilities[{i}].Severity", issues)
            score = _trivy_score(v.CVSS)
            findings.append(_finding(v.VulnerabilityID, score, label, v.PkgName, v.InstalledVersion, v.FixedVersion))
    issues.raise_if_any("Trivy report")
    tool = {"name": "trivy", "schema_version": report.SchemaVersion}
    dates = {"scanned_at": _instant(report.CreatedAt)}  # Trivy's JSON names no database build time
    return _result(
        "trivy", tool, report.ArtifactName, findings, digests_in(report.ArtifactName, report.Metadata), dates
    )


def _finding(vid: str, score: Decimal | None, label: str, component: str, installed: str, fixed: str) -> Finding:
    return Finding(
        id=vid,
        severity=band(score, label),
        component=component,
        installed_version=installed,
        fixed_version=fixed,
        score=None if score is None else str(score),
    )


def _grype(document: dict[str, Any], filename: str) -> Parsed:
    try:
        report = GrypeReport.model_validate(document)
    except PydanticError as exc:
        raise from_pydantic(exc, filename, "Grype report") from None
    issues = FileIssues(filename)
    findings = []
    for m, match in enumerate(report.matches):
        v = match.vulnerability
        label = _label(v.severity, "grype", f"$.matches[{m}].vulnerability.severity", issues)
        score = highest_version([(_version(c.version), c.type == "Primary", c.metrics.baseScore) for c in v.cvss])
        a = match.artifact
        findings.append(_finding(v.id, score, label, a.name, a.version, ", ".join(v.fix.versions)))
    issues.raise_if_any("Grype report")
    tool = {"name": report.descriptor.name, "version": report.descriptor.version}
    target = report.source.get("target")
    name = target if isinstance(target, str) else str(target.get("userInput", "")) if isinstance(target, dict) else ""
    db = report.descriptor.db
    status = db.get("status")
    status = status if isinstance(status, dict) else {}
    dates = {
        "database_built": _instant(db.get("built") or status.get("built")),
        "scanned_at": _instant(report.descriptor.timestamp),
    }
    return _result("grype", tool, name, findings, digests_in(report.source), dates)


def _instant(value: object) -> str:
    """An RFC 3339 time a scanner reported, normalised; empty when absent or not a time (never guessed)."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _result(
    fmt: str,
    tool: dict[str, Any],
    target: str,
    findings: list[Finding],
    digests: set[str],
    dates: dict[str, str] | None = None,
) -> Parsed:
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
            # the vulnerability database's build time and the scan's, where the report says them (the
            # freshness of an offline site's snapshot is judged by the oldest of what is known)
            **{k: v for k, v in (dates or {}).items() if v},
        },
        digests=digests,
    )


def _order(f: Finding) -> tuple[int, str, str, str]:
    return (list(Severity).index(f.severity), f.id, f.component, f.installed_version)


# --- CycloneDX vulnerabilities (pip-audit -f cyclonedx-json, trivy/grype -o cyclonedx-json) ----------

CDX_METHODS = {"CVSSv2": (2, 0), "CVSSv3": (3, 0), "CVSSv31": (3, 1), "CVSSv4": (4, 0)}
CDX_ORDER = ("critical", "high", "unknown", "medium", "low", "info", "none")


def from_cyclonedx(document: dict[str, Any], filename: str, fmt: str) -> Parsed:
    """The `vulnerabilities` of a CycloneDX document that passed the strict schema (so members are typed).

    Scores must be CVSS base scores (0-10, finite); with no score the most severe rated label decides,
    and a vulnerability nobody rated is Unknown, which blocks."""
    from fleetgate.evidence.sbom import walk

    issues = FileIssues(filename)
    refs = {c["bom-ref"]: c for c in walk(document.get("components", [])) if isinstance(c.get("bom-ref"), str)}
    findings = []
    for index, v in enumerate(_objects(document.get("vulnerabilities"))):
        candidates, labels = [], []
        for r, rating in enumerate(_objects(v.get("ratings"))):
            score = rating.get("score")
            if score is not None and rating.get("method") in CDX_METHODS:
                if not isinstance(score, int | float) or isinstance(score, bool) or not 0 <= score <= 10:
                    issues.add(f"$.vulnerabilities[{index}].ratings[{r}].score", "cvss-range", "A CVSS score is 0-10.")
                    continue
                candidates.append((CDX_METHODS[rating["method"]], False, score))
            if rating.get("severity") in CDX_ORDER:
                labels.append(rating["severity"])
        score = highest_version(candidates)
        label = min(labels, key=CDX_ORDER.index) if labels else "unknown"
        affected = [str(a.get("ref", "")) for a in _objects(v.get("affects"))] or [""]
        for ref in affected:
            component = refs.get(ref, {})
            name = str(component.get("name") or ref)
            version = str(component.get("version", ""))
            findings.append(_finding(str(v.get("id", "")), score, label, name, version, ""))
    issues.raise_if_any("CycloneDX vulnerabilities")
    metadata = _object(document.get("metadata"))
    subject = _object(metadata.get("component"))
    digests = {
        h["content"].lower()
        for h in _objects(subject.get("hashes"))
        if h.get("alg") == "SHA-256" and isinstance(h.get("content"), str)
    }
    tools = metadata.get("tools")
    tool = {"name": fmt, "tools": tools if isinstance(tools, list | dict) else []}
    return _result(fmt, tool, str(subject.get("name", "")), findings, digests)


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _objects(value: object) -> list[dict[str, Any]]:
    """The objects of a list member (the schema types most members; a read never trusts it alone)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


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
