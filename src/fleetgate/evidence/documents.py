"""Plain values shared by the parsers: what a piece of evidence says, with no ORM in sight."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import ValidationError as PydanticError

from fleetgate.core.errors import EvidenceInvalid, FieldIssue
from fleetgate.evidence import safejson

SHA256 = re.compile(r"(?:sha256:)?([0-9a-f]{64})\b")


class Kind(StrEnum):
    SBOM = "sbom"
    VULNERABILITY_SCAN = "vulnerability_scan"
    MALWARE_SCAN = "malware_scan"
    SIGNATURE = "signature"
    PROVENANCE = "provenance"
    INSTALL_FACTS = "install_facts"
    ROLLBACK_PLAN = "rollback_plan"
    TEST_EVIDENCE = "test_evidence"


class Status(StrEnum):
    VERIFIED = "verified"  # Fleetgate checked it itself (schema, digest, signature)
    DECLARED = "declared"  # a fact Fleetgate cannot check (Authenticode thumbprint, notarization ticket)
    RECORDED = "recorded"  # a document validated for shape whose truth rests on its author (plans, results)


class Severity(StrEnum):
    CRITICAL = "Critical"
    HIGH = "High"
    UNKNOWN = "Unknown"  # no score and no severity the tool could name: blocks like High, fail closed
    MEDIUM = "Medium"
    LOW = "Low"
    NONE = "None"


BLOCKING = frozenset({Severity.CRITICAL, Severity.HIGH, Severity.UNKNOWN})
LABELS = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "low": Severity.LOW,
    "negligible": Severity.NONE,
    "info": Severity.NONE,
    "none": Severity.NONE,
    "unknown": Severity.UNKNOWN,
}
TEN = Decimal("10.0")


def band(score: Decimal | None, label: str | None) -> Severity:
    """CVSS base score bands (Critical >= 9.0, High 7.0-8.9, Medium 4.0-6.9, Low 0.1-3.9); the label
    when no score. Fail closed: a score outside 0-10 or a label nobody defined is Unknown, which blocks."""
    if score is not None:
        if not score.is_finite() or score < 0 or score > TEN:
            return Severity.UNKNOWN
        if score >= Decimal("9.0"):
            return Severity.CRITICAL
        if score >= Decimal("7.0"):
            return Severity.HIGH
        if score >= Decimal("4.0"):
            return Severity.MEDIUM
        if score >= Decimal("0.1"):
            return Severity.LOW
        return Severity.NONE
    return LABELS.get((label or "").strip().lower(), Severity.UNKNOWN)


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    purl: str = ""
    licenses: tuple[str, ...] = ()
    hashes: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "purl": self.purl,
            "licenses": list(self.licenses),
            "hashes": [{"alg": a, "value": v} for a, v in self.hashes],
        }


@dataclass(frozen=True)
class Finding:
    id: str
    severity: Severity
    component: str
    installed_version: str
    fixed_version: str = ""
    score: str | None = None  # CVSS base score as written, Decimal-safe

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": str(self.severity),
            "score": self.score,
            "component": self.component,
            "installed_version": self.installed_version,
            "fixed_version": self.fixed_version,
        }


@dataclass
class Parsed:
    """One validated evidence document, normalised. `summary` is what goes into the sealed pack."""

    kind: Kind
    format: str
    status: Status
    summary: dict[str, Any]
    components: list[Component] = field(default_factory=list)
    digests: set[str] = field(default_factory=set)  # artifact digests the document says it describes
    derived: list[Parsed] = field(default_factory=list)  # other evidence the same file carries (SBOM findings)


class FileIssues:
    """Collects problems inside one file; `field` reads `<file>:<path inside it>`."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.items: list[FieldIssue] = []

    def add(self, path: str, rule: str, message: str) -> None:
        self.items.append(FieldIssue(f"{self.filename}:{path}", rule, message))

    def raise_if_any(self, what: str) -> None:
        if self.items:
            raise EvidenceInvalid(
                f"{self.filename} is not a valid {what}; fix the listed paths and upload it again.",
                errors=self.items[:100],
                file=self.filename,
            )

    def fail(self, path: str, rule: str, message: str, what: str) -> None:
        self.add(path, rule, message)
        self.raise_if_any(what)


def load_json(raw: bytes, filename: str, what: str, *, within: str = "") -> Any:
    """The safe JSON loading step of every parser (see safejson); `within` prefixes paths for
    documents embedded in another (a DSSE payload: `$.payload:`)."""
    try:
        return safejson.loads(raw)
    except safejson.UnsafeJson as exc:
        issues = FileIssues(filename)
        for path, rule, message in exc.issues:
            issues.add(within + path, rule, message)
        issues.raise_if_any(what)
    raise AssertionError("unreachable")  # pragma: no cover


def json_path(loc: tuple[int | str, ...]) -> str:
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def from_pydantic(exc: PydanticError, filename: str, what: str) -> EvidenceInvalid:
    issues = FileIssues(filename)
    for error in exc.errors():
        issues.add(json_path(tuple(error["loc"])), str(error["type"]), str(error["msg"]))
    try:
        issues.raise_if_any(what)
    except EvidenceInvalid as err:
        return err
    raise AssertionError("pydantic reported no errors")  # pragma: no cover


def digests_in(*values: object) -> set[str]:
    """Every SHA-256 hex digest mentioned in the given strings (or nested lists / dicts of them)."""
    found: set[str] = set()
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.update(m.group(1) for m in SHA256.finditer(value.lower()))
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return found
