"""Incidents P0-P4 against an intent or an artifact: recorded by people, acted on by the engine
(ring policy `incident_policy`), and counted by the risk history factor."""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.catalog.models import Artifact
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.validation import Issues
from fleetgate.intents.models import DeploymentIntent
from fleetgate.rollouts.models import Incident, Rollout
from fleetgate.rollouts.services.common import invalid
from fleetgate.rollouts.states import Priority

SUBJECT = "incident"


def _resolve_subject(data: dict[str, Any], issues: Issues) -> tuple[DeploymentIntent | None, Artifact | None]:
    intent = artifact = None
    if data.get("intent"):
        intent_pk = _uuid(data["intent"])
        intent = DeploymentIntent.objects.filter(pk=intent_pk).first() if intent_pk else None
        if intent is None:
            issues.add("intent", "exists", "No intent with this id; list intents to find it.")
    if data.get("artifact"):
        artifact_pk = _uuid(data["artifact"])
        artifact = Artifact.objects.filter(pk=artifact_pk).first() if artifact_pk else None
        if artifact is None:
            issues.add("artifact", "exists", "No artifact with this id.")
    if not data.get("intent") and not data.get("artifact"):
        issues.add("intent", "required", "Record the incident against an intent or an artifact.")
    return intent, artifact


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def create(*, actor: Actor, data: dict[str, Any]) -> Incident:
    issues = Issues()
    if data.get("priority") not in Priority.__members__:
        issues.add("priority", "choice", "One of P0, P1, P2, P3, P4.")
    if not str(data.get("title", "")).strip():
        issues.add("title", "required", "Give the incident a title.")
    with transaction.atomic():
        intent, artifact = _resolve_subject(data, issues)
        issues.raise_if_any()
        scope_of = intent or artifact
        assert scope_of is not None
        permissions.require(actor, "incident.create", scope_of)
        if intent is not None:
            boundary, unit = intent.target_boundary, intent.target_business_unit
        else:
            assert artifact is not None
            app = artifact.version.application
            boundary, unit = app.boundary, (app.business_units or ["*"])[0]
        incident = Incident.objects.create(
            intent=intent,
            artifact=artifact,
            priority=data["priority"],
            security=bool(data.get("security", False)),
            title=str(data["title"]).strip()[:200],
            description=str(data.get("description", "")),
            external_ticket=str(data.get("external_ticket", ""))[:100],
            boundary=boundary,
            business_unit=unit,
            opened_by=user_of(actor),
        )
        severity = "critical" if incident.priority in ("P0", "P1") else "warning"
        audit.record(
            actor=actor,
            action="incident.opened",
            subject_type=SUBJECT,
            subject_id=incident.pk,
            after=incident.snapshot(),
            severity=severity,
        )
        _wake(incident)
    return incident


def resolve(*, actor: Actor, incident_id: UUID | str, resolution: str) -> Incident:
    with transaction.atomic():
        incident = locked(Incident, incident_id, "incident")
        permissions.require(actor, "incident.resolve", incident)
        if incident.state == Incident.State.RESOLVED:
            raise Conflict("The incident is already resolved.")
        if not resolution.strip():
            invalid("resolution", "required", "Say how the incident was resolved.")
        before = incident.snapshot()
        incident.state, incident.resolved_at, incident.resolution = (
            Incident.State.RESOLVED,
            timezone.now(),
            resolution.strip(),
        )
        incident.save()
        audit.record(
            actor=actor,
            action="incident.resolved",
            subject_type=SUBJECT,
            subject_id=incident.pk,
            before=before,
            after=incident.snapshot(),
        )
    return incident


def _wake(incident: Incident) -> None:
    """The engine reacts to an incident at once, not at the next tick."""
    from fleetgate.rollouts import tasks

    intents = (
        [incident.intent_id]
        if incident.intent_id
        else list(
            Rollout.objects.filter(intent__evidence_packs__artifact=incident.artifact).values_list(
                "intent_id", flat=True
            )
        )
    )
    for intent_id in intents:
        transaction.on_commit(partial(tasks.advance_rollout, str(intent_id)))
