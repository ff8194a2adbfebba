"""Read-only retrieval for the assistant, through other domains' queries only.

Every read goes through the owning domain's queries with the asker as reader, so it is narrowed by
`core.scoping` exactly like that record's own API listing and detail: what the asker cannot read there
is "not found" here too, and never cited. A tool returns a Retrieval: the records it used (each a
citation: type, id, title, UI link, data) and the facts the templates and prompts are built from.
Nothing here writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fleetgate.approvals import queries as approvals
from fleetgate.core.actors import Actor
from fleetgate.core.errors import NotFound
from fleetgate.evidence import queries as evidence
from fleetgate.intents import queries as intents
from fleetgate.risk import queries as risk

REQUIRED_SECTIONS = (
    "sbom",
    "vulnerability_scan",
    "malware_scan",
    "signature",
    "install_facts",
    "rollback_plan",
    "test_evidence",
)
OPTIONAL_SECTIONS = ("provenance",)
NOTABLE_FINDINGS = 10
NOTABLE_COMPONENTS = 10


@dataclass(frozen=True)
class Record:
    type: str
    id: str
    title: str
    link: str
    data: dict[str, Any] = field(default_factory=dict)

    def citation(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id, "title": self.title, "link": self.link}

    def as_dict(self) -> dict[str, Any]:
        return {**self.citation(), "data": self.data}


@dataclass
class Retrieval:
    feature: str
    subject_type: str
    subject_id: str
    records: list[Record]
    facts: dict[str, Any]
    devices: set[str] = field(default_factory=set)  # names the scrubber treats as hosts
    persons: set[str] = field(default_factory=set)  # names the scrubber treats as people
    question: str = ""


def link(kind: str, obj_id: Any, intent_id: Any = None) -> str:
    """Where the web UI shows a record (the SPA's routes)."""
    if kind in ("intent", "risk_assessment", "evidence_pack", "rollout", "ring_run"):
        anchor = {
            "risk_assessment": "#risk",
            "evidence_pack": "#evidence",
            "rollout": "#rollout",
            "ring_run": "#rollout",
        }
        return f"/intents/{intent_id or obj_id}{anchor.get(kind, '')}"
    if kind == "cab_request":
        return f"/cab/{obj_id}"
    if kind in ("application", "version", "artifact"):
        return f"/applications/{obj_id}"
    if kind == "ledger_event":
        return f"/ledger/{obj_id}"
    return ""


def intent_record(intent: Any) -> Record:
    return Record(
        "intent",
        str(intent.pk),
        f"Intent {intent.name} ({intent.application.name} {intent.version.version})",
        link("intent", intent.pk),
        {
            "state": intent.state,
            "application": intent.application.name,
            "version": intent.version.version,
            "target": f"{intent.target_boundary}/{intent.target_business_unit}",
            "site_classes": list(intent.target_site_classes),
            "ring_plan": intent.ring_plan,
        },
    )


def get_intent(actor: Actor, intent_id: Any) -> Any:
    # Out of the asker's scope reads as absent, as the intent's own detail does: never confirm it exists.
    intent = intents.intents(actor).select_related("application", "version").filter(pk=intent_id).first()
    if intent is None:
        raise NotFound("No intent you can see has that id.")
    return intent


def previous_change(actor: Actor, intent: Any) -> dict[str, Any]:
    """What changed since the last approved change of the application, when the asker may read that
    change; otherwise nothing (its name, version and target are not theirs to read)."""
    diff = approvals.diff_from_previous(intent)
    if diff["previous"] and not intents.intents(actor).filter(pk=diff["previous"]["id"]).exists():
        return {"previous": None, "changes": {}}
    return diff


# --- risk -----------------------------------------------------------------------------------------


def explain_risk(actor: Actor, *, assessment_id: Any = None, intent_id: Any = None) -> Retrieval:
    if assessment_id is not None:
        row = risk.assessments(actor).filter(pk=assessment_id).first()
    else:
        row = risk.latest(get_intent(actor, intent_id).pk)
    if row is None:
        raise NotFound("No risk assessment you can see matches; assess the intent first.")
    factors = [
        {"name": name, **values}
        for name, values in sorted(row.factors.items(), key=lambda kv: (-Decimal(kv[1]["contribution"]), kv[0]))
    ]
    record = Record(
        "risk_assessment",
        str(row.pk),
        f"Risk assessment {row.score}/100 (rubric {row.risk_model_id})",
        link("risk_assessment", row.pk, row.intent_id),
        row.snapshot(),
    )
    facts = {
        "score": row.score,
        "raw": row.raw,
        "rubric": row.risk_model_id,
        "cab_required": row.cab_required,
        "reasons": list(row.reasons),
        "factors": factors,
        "intent": row.intent.name,
        "application": row.intent.application.name,
    }
    return Retrieval("explain_risk", "risk_assessment", str(row.pk), [record, intent_record(row.intent)], facts)


# --- evidence -------------------------------------------------------------------------------------


def _pack(actor: Actor, pack_id: Any = None, intent_id: Any = None) -> Any:
    qs = evidence.packs(actor).select_related("intent__application", "intent__version", "artifact")
    pack = qs.filter(pk=pack_id).first() if pack_id is not None else qs.filter(intent_id=intent_id).first()
    if pack is None:
        raise NotFound("No sealed evidence pack you can see matches.")
    return pack


def summarise_evidence(actor: Actor, *, pack_id: Any = None, intent_id: Any = None) -> Retrieval:
    pack = _pack(actor, pack_id, intent_id)
    body = json.loads(pack.sealed_json)["body"]
    sections: dict[str, list[dict[str, Any]]] = body.get("sections", {})
    by_status: dict[str, list[str]] = {"verified": [], "declared": [], "recorded": []}
    findings: list[dict[str, Any]] = []
    for kind, items in sorted(sections.items()):
        for item in items:
            by_status.setdefault(item.get("status", "recorded"), []).append(kind)
            if kind == "vulnerability_scan":
                findings.extend(item.get("summary", {}).get("findings", []))
    missing = [k for k in (*REQUIRED_SECTIONS, *OPTIONAL_SECTIONS) if not sections.get(k)]
    components = evidence.components().filter(artifact_id=pack.artifact_id)
    flagged = {f.get("component", "") for f in findings}
    notable = [
        {"name": c.name, "version": c.version, "purl": c.purl}
        for c in components.filter(name__in=flagged).order_by("name")[:NOTABLE_COMPONENTS]
    ]
    severity_order = ["Critical", "High", "Unknown", "Medium", "Low", "None"]
    findings.sort(
        key=lambda f: (
            severity_order.index(f.get("severity", "None")) if f.get("severity") in severity_order else 9,
            f.get("id", ""),
        )
    )
    facts = {
        "pack_version": pack.version,
        "sha256": pack.sha256,
        "application": body.get("application", {}).get("name", pack.intent.application.name),
        "artifact": pack.artifact.filename,
        "verified": sorted(set(by_status.get("verified", []))),
        "declared": sorted(set(by_status.get("declared", []))),
        "recorded": sorted(set(by_status.get("recorded", []))),
        "missing": missing,
        "component_count": components.count(),
        "finding_count": len(findings),
        "findings": findings[:NOTABLE_FINDINGS],
        "notable_components": notable,
        "exceptions": body.get("exceptions", []),
        "risk_score": (body.get("risk") or {}).get("score"),
    }
    record = Record(
        "evidence_pack",
        str(pack.pk),
        f"Evidence pack v{pack.version} of {pack.artifact.filename}",
        link("evidence_pack", pack.pk, pack.intent_id),
        {"version": pack.version, "sha256": pack.sha256, "sections": sorted(sections)},
    )
    return Retrieval("summarise_evidence", "evidence_pack", str(pack.pk), [record, intent_record(pack.intent)], facts)


# --- CAB note -------------------------------------------------------------------------------------


def cab_note(actor: Actor, *, intent_id: Any) -> Retrieval:
    intent = get_intent(actor, intent_id)
    records = [intent_record(intent)]
    facts: dict[str, Any] = {
        "intent": intent.name,
        "title": intent.title,
        "change_reason": intent.change_reason,
        "application": intent.application.name,
        "version": intent.version.version,
        "release_notes": intent.version.release_notes,
        "target": f"{intent.target_boundary}/{intent.target_business_unit}",
        "rings": [r.get("ring") for r in intent.ring_plan],
        "devices": sum(int(r.get("device_count", 0)) for r in intent.ring_plan),
        "rollback_plan": intent.rollback_plan,
    }
    try:
        assessment = explain_risk(actor, intent_id=intent.pk)
        records.append(assessment.records[0])
        facts["risk"] = {k: assessment.facts[k] for k in ("score", "cab_required", "reasons", "factors")}
    except NotFound:
        facts["risk"] = None
    try:
        pack = summarise_evidence(actor, intent_id=intent.pk)
        records.append(pack.records[0])
        facts["evidence"] = {
            k: pack.facts[k] for k in ("pack_version", "verified", "declared", "missing", "finding_count")
        }
        facts["tests"] = _test_summary(actor, pack_id=pack.subject_id)
    except NotFound:
        facts["evidence"], facts["tests"] = None, []
    diff = previous_change(actor, intent)
    facts["previous"] = diff["previous"]
    facts["changes"] = sorted(diff["changes"])
    if diff["previous"]:
        records.append(intent_record(get_intent(actor, diff["previous"]["id"])))
    return Retrieval("draft_cab_note", "intent", str(intent.pk), records, facts)


def _test_summary(actor: Actor, *, pack_id: str) -> list[dict[str, Any]]:
    pack = evidence.packs(actor).get(pk=pack_id)
    body = json.loads(pack.sealed_json)["body"]
    out = []
    for kind in ("test_evidence", "rollback_plan"):
        for item in body.get("sections", {}).get(kind, []):
            summary = item.get("summary", {})
            out.append({"kind": kind, "filename": item.get("filename", ""), "summary": _flat(summary)})
    return out


def _flat(summary: dict[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in sorted(summary.items()) if isinstance(v, str | int | float | bool)]
    return ", ".join(parts)[:300]
