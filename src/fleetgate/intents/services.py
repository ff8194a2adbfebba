"""Every write to a deployment intent: create, update (draft only), submit, cancel."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.catalog.models import Application, ApplicationVersion
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import (
    ActiveChangeConflict,
    Conflict,
    InvalidTransition,
    PreconditionFailed,
    ValidationFailed,
)
from fleetgate.core.fsm import next_state
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.roles import Scope
from fleetgate.core.validation import Issues
from fleetgate.intents import policy, specs
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import ACTIVE_STATES, EDITABLE_STATES, TRANSITIONS, Action, State

SUBJECT = "intent"


def create(*, actor: Actor, data: dict[str, Any]) -> DeploymentIntent:
    with transaction.atomic():
        app = _application(data.get("application"))
        target = Scope(str(data.get("target_boundary", "")), frozenset({str(data.get("target_business_unit", ""))}))
        permissions.require(actor, "intent.create", target)
        ring_policy = policy.active()
        specs.validate(data, ring_policy, app)
        version = _version(app, str(data.get("version", "")))
        if DeploymentIntent.objects.filter(name=data["name"]).exists():
            raise Conflict(f"An intent named '{data['name']}' exists; use `fleetgate apply` to update it.")
        intent = DeploymentIntent.objects.create(
            name=data["name"],
            application=app,
            version=version,
            ring_policy=ring_policy,
            publisher=user_of(actor),
            **{k: data[k] for k in specs.EDITABLE_FIELDS if k in data},
        )
        audit.record(
            actor=actor, action="intent.created", subject_type=SUBJECT, subject_id=intent.pk, after=intent.snapshot()
        )
    return intent


def update(
    *, actor: Actor, intent_id: UUID | str, changes: dict[str, Any], expected_etag: str | None
) -> DeploymentIntent:
    with transaction.atomic():
        intent = locked(DeploymentIntent, intent_id, "intent")
        permissions.require(actor, "intent.update", intent)
        check_etag(intent, expected_etag)
        if intent.state not in EDITABLE_STATES:
            raise InvalidTransition(
                f"Intent is {intent.state}; only drafts can be edited. Cancel it and create a new intent.",
                state=intent.state,
                action="update",
            )
        before = intent.snapshot()
        merged = {**_editable(intent), **{k: v for k, v in changes.items() if k in specs.EDITABLE_FIELDS}}
        target = Scope(merged["target_boundary"], frozenset({merged["target_business_unit"]}))
        permissions.require(actor, "intent.update", target)
        specs.validate({**merged, "name": intent.name}, intent.ring_policy, intent.application)
        if "version" in changes:
            intent.version = _version(intent.application, str(changes["version"]))
        for key, value in merged.items():
            setattr(intent, key, value)
        _bump(intent)
        audit.record(
            actor=actor,
            action="intent.updated",
            subject_type=SUBJECT,
            subject_id=intent.pk,
            before=before,
            after=intent.snapshot(),
        )
    return intent


def submit(*, actor: Actor, intent_id: UUID | str, expected_etag: str | None = None) -> DeploymentIntent:
    with transaction.atomic():
        intent = locked(DeploymentIntent, intent_id, "intent")
        permissions.require(actor, "intent.submit", intent)
        check_etag(intent, expected_etag)
        before = intent.snapshot()
        intent.state = next_state(TRANSITIONS, State(intent.state), Action.SUBMIT)
        _claim_rings(intent)
        intent.submitted_at = timezone.now()
        _bump(intent)
        audit.record(
            actor=actor,
            action="intent.submitted",
            subject_type=SUBJECT,
            subject_id=intent.pk,
            before=before,
            after=intent.snapshot(),
        )
    return intent


def cancel(
    *, actor: Actor, intent_id: UUID | str, reason: str = "", expected_etag: str | None = None
) -> DeploymentIntent:
    with transaction.atomic():
        intent = locked(DeploymentIntent, intent_id, "intent")
        permissions.require(actor, "intent.cancel", intent)
        check_etag(intent, expected_etag)
        before = intent.snapshot()
        intent.state = next_state(TRANSITIONS, State(intent.state), Action.CANCEL)
        _bump(intent)
        audit.record(
            actor=actor,
            action="intent.cancelled",
            subject_type=SUBJECT,
            subject_id=intent.pk,
            before=before,
            after=intent.snapshot(),
            reason=reason,
        )
    return intent


def check_etag(intent: DeploymentIntent, expected: str | None) -> None:
    if expected is not None and expected.removeprefix("W/") != intent.etag:
        raise PreconditionFailed(
            f"Intent changed since you read it (now revision {intent.revision}); fetch it again and reapply.",
            current_etag=intent.etag,
        )


def _claim_rings(intent: DeploymentIntent) -> None:
    """One active change per application per ring; the application row lock serialises claimers."""
    Application.objects.select_for_update().get(pk=intent.application_id)
    others = DeploymentIntent.objects.filter(application_id=intent.application_id, state__in=ACTIVE_STATES)
    for other in others.exclude(pk=intent.pk):
        shared = sorted(set(other.rings) & set(intent.rings))
        if shared:
            raise ActiveChangeConflict(
                f"{intent.application.name} already has an active change in ring(s) {', '.join(shared)}: "
                f"intent '{other.name}' ({other.state}). Wait for it to finish or cancel it first.",
                conflicting_intent=str(other.pk),
            )


def _bump(intent: DeploymentIntent) -> None:
    intent.revision += 1
    intent.updated_at = timezone.now()
    intent.save()


def _editable(intent: DeploymentIntent) -> dict[str, Any]:
    return {k: getattr(intent, k) for k in specs.EDITABLE_FIELDS}


def _application(application_id: Any) -> Application:
    try:
        return Application.objects.get(pk=application_id)
    except (Application.DoesNotExist, ValueError, DjangoValidationError):
        raise ValidationFailed(
            "Unknown application.",
            errors=_issue(
                "application",
                "exists",
                f"No application with id {application_id}; list applications to find it.",
            ),
        ) from None


def _version(app: Application, version: str) -> ApplicationVersion:
    row = app.versions.filter(version=version).first()
    if row is None:
        raise ValidationFailed(
            "Unknown version.",
            errors=_issue("version", "exists", f"{app.name} has no version '{version}'; register it first (catalog)."),
        )
    return row


def _issue(field: str, rule: str, message: str) -> list[Any]:
    issues = Issues()
    issues.add(field, rule, message)
    return issues.items


def load_default_ring_policy() -> None:
    """Load the embedded ring policies once, oldest first. A version that `supersedes` the active
    one becomes active (1.1 supersedes 1.0); intents keep the version they were planned against."""
    from fleetgate.core.actors import SYSTEM
    from fleetgate.intents.models import RingPolicy

    for filename in policy.EMBEDDED_FILES:
        document = policy.embedded_document(filename)
        with transaction.atomic():
            if RingPolicy.objects.filter(version=document["version"]).exists():
                continue
            current = RingPolicy.objects.select_for_update().filter(active=True).first()
            supersedes = current is not None and document.get("supersedes") == current.version
            if supersedes:
                assert current is not None
                RingPolicy.objects.filter(pk=current.pk).update(active=False)
            row = RingPolicy.objects.create(
                version=document["version"],
                document=document,
                sha256=policy.digest(document),
                active=current is None or supersedes,
            )
            audit.record(
                actor=SYSTEM,
                action="ring_policy.loaded",
                subject_type="ring_policy",
                subject_id=row.version,
                after={
                    "version": row.version,
                    "sha256": row.sha256,
                    "active": row.active,
                    "supersedes": current.version if supersedes and current else None,
                },
            )


def transition(
    *,
    actor: Actor,
    intent: DeploymentIntent,
    action: Action,
    event: str,
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> DeploymentIntent:
    """Move a locked intent along its lifecycle (the rollout engine's transitions) and record it.

    The caller holds the intent's row lock inside its own transaction and has checked permissions.
    """
    before = intent.snapshot()
    intent.state = next_state(TRANSITIONS, State(intent.state), action)
    _bump(intent)
    audit.record(
        actor=actor,
        action=event,
        subject_type=SUBJECT,
        subject_id=intent.pk,
        before=before,
        after={**intent.snapshot(), **(extra or {})},
        reason=reason,
    )
    return intent
