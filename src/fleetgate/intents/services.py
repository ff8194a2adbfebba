"""Every write to a deployment intent: create, update (draft only), submit, cancel."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.catalog import queries as catalog
from fleetgate.catalog.models import Application, ApplicationVersion
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import (
    ActiveChangeConflict,
    Conflict,
    FieldIssue,
    InvalidTransition,
    PreconditionFailed,
    ValidationFailed,
)
from fleetgate.core.fsm import next_state
from fleetgate.core.lookups import locked, user_reference
from fleetgate.core.roles import Scope
from fleetgate.core.validation import Issues
from fleetgate.intents import manifest, policy, queries, specs
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import ACTIVE_STATES, EDITABLE_STATES, TRANSITIONS, Action, State

SUBJECT = "intent"
INTENT_RELATED = ("application", "version", "ring_policy", "publisher")  # what a change and its answer read


def create(*, actor: Actor, data: dict[str, Any]) -> DeploymentIntent:
    with transaction.atomic():
        app, version = _application_and_version(data.get("application"), str(data.get("version", "")))
        target = Scope(str(data.get("target_boundary", "")), frozenset({str(data.get("target_business_unit", ""))}))
        permissions.require(actor, "intent.create", target)
        ring_policy = policy.active()
        specs.validate(data, ring_policy, app)
        version = version or _version(app, str(data.get("version", "")))
        if DeploymentIntent.objects.filter(name=data["name"]).exists():
            raise Conflict(f"An intent named '{data['name']}' exists; use `fleetgate apply` to update it.")
        intent = DeploymentIntent.objects.create(
            name=data["name"],
            application=app,
            version=version,
            ring_policy=ring_policy,
            publisher=user_reference(actor),  # its id and username are all an intent and its answer need
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
        intent = locked(DeploymentIntent, intent_id, "intent", *INTENT_RELATED)
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
        intent = locked(DeploymentIntent, intent_id, "intent", *INTENT_RELATED)
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
        intent = locked(DeploymentIntent, intent_id, "intent", *INTENT_RELATED)
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


class _DryRun(Exception):
    """Raised to roll back a manifest's writes once every document has been applied (dry run or errors)."""


def apply_manifest(*, actor: Actor, text: str, dry_run: bool) -> list[manifest.Outcome]:
    """`fleetgate apply -f` and the console's Apply page: create or update one intent per document, all
    or nothing. A dry run makes the very same create/update calls, then rolls them back, so it reports
    exactly what applying would (refusals included) and leaves no row and no ledger event behind.
    Every document's problems are collected into one problem, each named by field and line."""
    documents = manifest.load(text)
    outcomes: list[manifest.Outcome] = []
    issues: list[tuple[FieldIssue, int]] = []
    try:
        with transaction.atomic():
            for doc in documents:
                try:
                    with transaction.atomic():  # a savepoint: a refused document leaves nothing behind
                        outcomes.append(_apply_document(actor, doc))
                except ValidationFailed as exc:
                    issues += [doc.issue(e.field, e.rule, e.message) for e in exc.errors]
            if issues or dry_run:
                raise _DryRun
    except _DryRun:
        pass
    if issues:
        raise manifest.problem(issues, "Nothing was applied; fix the listed fields and try again.")
    for outcome in outcomes:
        if dry_run and outcome.action == "create":
            outcome.intent_id = None  # rolled back: no such intent exists
    return outcomes


def _apply_document(actor: Actor, doc: manifest.Document) -> manifest.Outcome:
    m = doc.manifest
    app = _manifest_application(actor, m.application)
    desired = m.payload(str(app.pk))
    current = queries.intents(actor).filter(name=m.name).first()
    before = manifest.stored(current) if current else None
    changes = manifest.changes(before, desired)
    outcome = manifest.Outcome(
        doc.index + 1, doc.line, m.name, "create", changes, manifest.diff(before, desired, m.name)
    )
    if current is None:
        outcome.intent_id = str(create(actor=actor, data=desired).pk)
        return outcome
    outcome.intent_id = str(current.pk)
    if current.application_id != app.pk:
        raise ValidationFailed(
            "An intent keeps its application.",
            errors=_issue(
                "application",
                "immutable",
                f"'{m.name}' deploys {current.application.name}; give this manifest a new name to deploy {app.name}.",
            ),
        )
    if not changes:
        outcome.action = "unchanged"
        return outcome
    outcome.action = "update"
    fields = {k: v for k, v in desired.items() if k not in ("name", "application")}
    update(actor=actor, intent_id=current.pk, changes=fields, expected_etag=None)
    return outcome


def _manifest_application(actor: Actor, ref: str) -> Application:
    """A manifest names its application by name (or id) as the person can read it."""
    found = catalog.applications(actor).filter(name=ref).first()
    if found is not None:
        return found
    try:
        return catalog.applications(actor).get(pk=ref)
    except (Application.DoesNotExist, ValueError, DjangoValidationError):
        raise ValidationFailed(
            "Unknown application.",
            errors=_issue("application", "exists", f"No application named '{ref}' that you can see; check the name."),
        ) from None


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


def _application_and_version(application_id: Any, version: str) -> tuple[Application, ApplicationVersion | None]:
    """Both in one statement when the version exists, as it almost always does; else the application
    alone (None for the version), so each error is raised where it was: an unknown application first,
    an unknown version after the permission and spec checks."""
    try:
        qs = ApplicationVersion.objects.select_related("application")
        row = qs.filter(application_id=application_id, version=version).first()
    except (ValueError, DjangoValidationError):
        row = None
    if row is not None:
        return row.application, row
    return _application(application_id), None


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
