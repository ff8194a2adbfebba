"""Questions over the ledger and the catalog, answered from records with citations.

Recognised shapes (case-insensitive): "who approved version V of APP (and when)", "which artifacts
contain COMPONENT [VERSION]", and anything naming an application ("what is the status of APP").
The records found are what the offline templates and the remote prompts both work from. Every read goes
through the owning domain's queries with the asker as reader (`core.scoping`), so an answer only ever
cites what the asker could open in the catalog, CAB queue or ledger themselves.
"""

from __future__ import annotations

import re
from typing import Any

from fleetgate.approvals import queries as approvals
from fleetgate.assistant.tools import Record, Retrieval, link
from fleetgate.audit import queries as audit
from fleetgate.catalog import queries as catalog
from fleetgate.core.actors import Actor
from fleetgate.evidence import queries as evidence
from fleetgate.intents import queries as intents

WHO_APPROVED = re.compile(
    r"who\s+approved\s+(?:version\s+)?(?P<version>[\w.+\-]+)\s+of\s+(?P<app>.+?)(?:\s+and\s+when)?\s*\??$", re.I
)
CONTAINS = re.compile(
    r"which\s+artifacts?\s+(?:contain|contains|include|includes|ship|ships)\s+(?P<name>[\w.+\-@/]+?)(?:[\s@]+v?(?P<version>\d[\w.+\-]*))?\s*\??$",
    re.I,
)
MAX_ROWS = 25
SHAPES = (
    "who approved version 3 of <application> and when",
    "which artifacts contain zlib 1.3.1",
    "what is the status of <application>",
)


def ask(actor: Actor, question: str) -> Retrieval:
    text = " ".join(question.split())
    if match := WHO_APPROVED.search(text):
        return _who_approved(actor, text, match.group("app").strip(" ?\"'"), match.group("version"))
    if match := CONTAINS.search(text):
        return _contains(actor, text, match.group("name"), match.group("version"))
    return _about(actor, text)


def _application(actor: Actor, name: str) -> Any:
    return catalog.applications(actor).filter(name__iexact=name).first()


def _version(actor: Actor, app: Any, wanted: str) -> Any:
    versions = catalog.versions(actor).filter(application=app).order_by("created_at", "id")
    exact = versions.filter(version=wanted).first()
    if exact is not None or not wanted.isdigit():
        return exact
    ordinal = int(wanted)  # "version 3" when no version is literally "3": the third one registered
    listed = list(versions[: ordinal + 1])
    return listed[ordinal - 1] if 0 < ordinal <= len(listed) else None


def _who_approved(actor: Actor, question: str, app_name: str, wanted: str) -> Retrieval:
    facts: dict[str, Any] = {"shape": "who_approved", "application": app_name, "version": wanted, "decisions": []}
    records: list[Record] = []
    persons: set[str] = set()
    app = _application(actor, app_name)
    version = _version(actor, app, wanted) if app is not None else None
    if version is not None:
        facts["version"] = version.version
        records.append(Record("version", str(version.pk), f"{app.name} {version.version}", link("version", app.pk)))
        rows = approvals.decisions(actor).filter(request__intent__version=version).order_by("created_at")
        for decision in rows[:MAX_ROWS]:
            revoked = getattr(decision, "revocation", None)
            name = decision.approver.get_username()
            persons.add(name)
            facts["decisions"].append(
                {
                    "kind": decision.kind,
                    "approver": name,
                    "at": decision.created_at.isoformat(),
                    "request": str(decision.request_id),
                    "reason": decision.reason,
                    "revoked": bool(revoked),
                }
            )
            records.append(
                Record(
                    "cab_request",
                    str(decision.request_id),
                    f"CAB request for {app.name} {version.version}",
                    link("cab_request", decision.request_id),
                    {"decision": str(decision.pk), "kind": decision.kind},
                )
            )
            events = (
                audit.events(actor)
                .filter(subject_id__in=[str(decision.pk), str(decision.request_id)], actor_id=str(decision.approver_id))
                .order_by("sequence")
            )
            for event in events[:3]:
                records.append(
                    Record("ledger_event", str(event.sequence), event.action, link("ledger_event", event.sequence))
                )
    facts["found"] = version is not None
    return Retrieval("ask", "question", "", _unique(records), facts, persons=persons, question=question)


def _contains(actor: Actor, question: str, name: str, version: str | None) -> Retrieval:
    rows = evidence.components(actor).filter(name__iexact=name).select_related("artifact__version__application")
    if version:
        rows = rows.filter(version=version)
    records: list[Record] = []
    hits: list[dict[str, Any]] = []
    seen: set[str] = set()
    for component in rows.order_by("artifact__filename", "version")[: MAX_ROWS * 4]:
        artifact = component.artifact
        if str(artifact.pk) in seen:
            continue
        seen.add(str(artifact.pk))
        app = artifact.version.application
        hits.append(
            {
                "artifact": artifact.filename,
                "artifact_id": str(artifact.pk),
                "sha256": artifact.sha256,
                "application": app.name,
                "version": artifact.version.version,
                "component": f"{component.name} {component.version}".strip(),
                "evidence": str(component.evidence_id),
            }
        )
        records.append(
            Record(
                "artifact",
                str(artifact.pk),
                f"{artifact.filename} ({app.name} {artifact.version.version})",
                link("artifact", app.pk),
            )
        )
        if len(hits) >= MAX_ROWS:
            break
    facts = {"shape": "contains", "component": name, "component_version": version or "", "artifacts": hits}
    return Retrieval("ask", "question", "", records, facts, question=question)


def _about(actor: Actor, question: str) -> Retrieval:
    lowered = question.lower()
    apps = [a for a in catalog.applications(actor).order_by("name") if a.name.lower() in lowered]
    records: list[Record] = []
    found: list[dict[str, Any]] = []
    for app in apps[:5]:
        records.append(Record("application", str(app.pk), app.name, link("application", app.pk)))
        changes = []
        for intent in intents.intents(actor).filter(application=app).order_by("-created_at")[:5]:
            last = audit.events(actor).filter(subject_id=str(intent.pk)).order_by("-sequence").first()
            changes.append(
                {
                    "intent": intent.name,
                    "version": intent.version.version,
                    "state": intent.state,
                    "last_event": last.action if last else "",
                    "last_at": last.occurred_at.isoformat() if last else "",
                }
            )
            records.append(Record("intent", str(intent.pk), f"Intent {intent.name}", link("intent", intent.pk)))
            if last is not None:
                records.append(
                    Record("ledger_event", str(last.sequence), last.action, link("ledger_event", last.sequence))
                )
        found.append({"application": app.name, "vendor": app.vendor, "changes": changes})
    facts = {"shape": "about" if found else "unknown", "applications": found, "shapes": list(SHAPES)}
    return Retrieval("ask", "question", "", records, facts, question=question)


def _unique(records: list[Record]) -> list[Record]:
    seen: set[tuple[str, str]] = set()
    out = []
    for r in records:
        if (r.type, r.id) not in seen:
            seen.add((r.type, r.id))
            out.append(r)
    return out
