"""Shared pieces of the rollout services: the engine's identity, idempotency keys, status writes,
ledger events about a rollout, and the plane references kept on each target."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.connectors.base import AppRef, IntentRef, RingGroup
from fleetgate.connectors.base import Artifact as PlaneArtifact
from fleetgate.core.actors import Actor, service
from fleetgate.intents.models import DeploymentIntent
from fleetgate.notifications import services as notifications
from fleetgate.rollouts import signals
from fleetgate.rollouts.models import PlaneTarget, RingRun, Rollout
from fleetgate.rollouts.routing import ring_site_class

ENGINE = service(
    "rollout-engine",
    frozenset(
        {"connector.execute", "rollout.start", "rollout.advance", "rollout.halt", "rollout.pause", "rollout.rollback"}
    ),
)
SUBJECT = "intent"
NOTIFY_ON = frozenset(
    {"rollout.halted", "rollout.awaiting_judgment", "rollout.rollback_started", "rollout.failed", "rollout.rolled_back"}
)


def key(rollout: Rollout, target: PlaneTarget, operation: str, ring: str = "") -> str:
    """Idempotency key: (rollout of this intent, ring, plane, artifact, operation) — stable across retries."""
    parts = [f"fg-rollout:{rollout.pk}", ring, target.connector.name, str(target.artifact_id)[:8], operation]
    return ":".join(p for p in parts if p)


def plane_artifact(target: PlaneTarget, artifact: Any = None) -> PlaneArtifact:
    from fleetgate.catalog import store

    row = artifact or target.artifact
    version = row.version
    content = store.path_for(row.sha256)
    return PlaneArtifact(
        name=version.application.name,
        version=version.version,
        filename=row.filename,
        sha256=row.sha256,
        size=row.size,
        platform=row.platform,
        format=row.format,
        publisher=version.application.vendor,
        path=str(content) if content.exists() else "",
        detection_rules=_detection_rules(row),
    )


def _detection_rules(row: Any) -> tuple[dict[str, Any], ...]:
    """The detection rules of the artifact's current install facts (the plane needs them to publish)."""
    facts = row.evidence.filter(kind="install_facts", current=True).order_by("-created_at").first()
    return tuple((facts.summary or {}).get("detection_rules") or ()) if facts else ()


def app_ref(data: dict[str, Any]) -> AppRef:
    return AppRef(**{**data, "attributes": dict(data.get("attributes") or {})})


def ring_group(target: PlaneTarget, run: RingRun, assignment_id: str | None = None) -> RingGroup:
    """The ring's group on the plane, with the assignment the engine stored for it (or the one given)."""
    return RingGroup(
        name=target.group,
        ring=run.ring,
        site_class=ring_site_class(run.rollout.intent, run.position),
        assignment_id=target.assignment_id if assignment_id is None else assignment_id,
    )


def intent_ref(intent: DeploymentIntent, ring: str, action: str = "install") -> IntentRef:
    return IntentRef(intent_id=str(intent.pk), name=intent.name, ring=ring, action=action)


def set_status(rollout: Rollout, status: str, detail: str = "") -> None:
    """Operational status (what the list shows): no ledger event, the transitions carry those."""
    if rollout.status == status and rollout.status_detail == detail:
        return
    rollout.status, rollout.status_detail = status, detail[:2000]
    rollout.updated_at = timezone.now()
    Rollout.objects.filter(pk=rollout.pk).update(
        status=status, status_detail=rollout.status_detail, updated_at=rollout.updated_at
    )


def event(
    *,
    actor: Actor,
    rollout: Rollout,
    action: str,
    after: dict[str, Any],
    reason: str = "",
    severity: str = "info",
) -> None:
    """A rollout fact on the intent's ledger stream (call inside the transaction of the change)."""
    audit.record(
        actor=actor,
        action=action,
        subject_type=SUBJECT,
        subject_id=rollout.intent_id,
        after={"rollout": str(rollout.pk), **after},
        reason=reason,
        severity=severity,
    )
    signals.rollout_step.send(sender=Rollout, intent_id=rollout.intent_id, action=action)
    if action in NOTIFY_ON:
        intent = rollout.intent
        notifications.notify(
            event=action,
            subject_type=SUBJECT,
            subject_id=rollout.intent_id,
            payload={"intent": intent.name, "title": intent.title, "reason": reason, **after},
            recipients=[intent.publisher.get_username()],
        )


def invalid(field: str, rule: str, message: str) -> None:
    """Raise a 400 problem naming one field and the rule it breaks."""
    from fleetgate.core.validation import Issues

    issues = Issues()
    issues.add(field, rule, message)
    issues.raise_if_any()
