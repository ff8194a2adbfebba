"""People's decisions on remediation items: acknowledge, resolve, accept with a reason and an
expiry. Endpoint Ops decide items in their scope; items that widen scope (CAB route) are CAB's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Forbidden, NotFound, PreconditionFailed
from fleetgate.core.roles import Role
from fleetgate.core.validation import Issues
from fleetgate.reconcile.models import Drift
from fleetgate.reconcile.services.passes import _event
from fleetgate.reconcile.states import Action, Route, next_status
from fleetgate.rollouts import clock as clocks

MAX_ACCEPTANCE = timedelta(days=90)
DECIDERS = {Route.CAB: Role.CAB_APPROVER, Route.ENDPOINT_OPS: Role.ENDPOINT_OPS, Route.AUTO: Role.ENDPOINT_OPS}


def check_etag(drift: Drift, expected: str | None) -> None:
    if expected is not None and expected.removeprefix("W/") != drift.etag:
        raise PreconditionFailed(
            f"The drift changed since you read it (now revision {drift.revision}); fetch it again.",
            current_etag=drift.etag,
        )


def _locked(drift_id: Any, actor: Actor, expected_etag: str | None) -> Drift:
    drift = Drift.objects.select_for_update().filter(pk=drift_id).first()
    if drift is None:
        raise NotFound(f"No drift {drift_id}.")
    permissions.require(actor, "drift.decide", drift)
    role = DECIDERS[Route(drift.route)]
    if actor.kind == "user" and role not in {g.role for g in actor.grants if g.scope.covers(drift.scope)}:
        raise Forbidden(
            f"This remediation item is for {role.label}: "
            + ("the drift widens scope, so CAB decides." if drift.route == Route.CAB else "Endpoint Ops decide it."),
            action="drift.decide",
        )
    check_etag(drift, expected_etag)
    return drift


def _decide(drift: Drift, actor: Actor, action: Action, event: str, reason: str) -> Drift:
    before = drift.snapshot()
    drift.status = next_status(drift.status, action)
    drift.decided_by, drift.decision_reason = actor.ledger_view(), reason
    drift.revision += 1
    drift.save()
    _event(actor, drift, event, before=before, reason=reason)
    return drift


def acknowledge(*, actor: Actor, drift_id: Any, reason: str = "", expected_etag: str | None = None) -> Drift:
    with transaction.atomic():
        drift = _locked(drift_id, actor, expected_etag)
        drift.acknowledged_by, drift.acknowledged_at = actor.ledger_view(), clocks.current().now()
        return _decide(drift, actor, Action.ACKNOWLEDGE, "drift.acknowledged", reason)


def resolve(*, actor: Actor, drift_id: Any, reason: str, expected_etag: str | None = None) -> Drift:
    _require_reason(reason)
    with transaction.atomic():
        drift = _locked(drift_id, actor, expected_etag)
        drift.resolved_at = clocks.current().now()
        return _decide(drift, actor, Action.RESOLVE, "drift.resolved", reason)


def accept(
    *, actor: Actor, drift_id: Any, reason: str, expires_at: datetime | None, expected_etag: str | None = None
) -> Drift:
    now = clocks.current().now()
    issues = Issues()
    if not reason.strip():
        issues.add("reason", "required", "Say why this drift is acceptable.")
    if expires_at is None:
        issues.add("expires_at", "required", "An accepted drift needs an expiry.")
    elif expires_at <= now:
        issues.add("expires_at", "future", "The expiry must be in the future.")
    elif expires_at - now > MAX_ACCEPTANCE:
        issues.add("expires_at", "max_90_days", "A drift can be accepted for at most 90 days.")
    issues.raise_if_any()
    with transaction.atomic():
        drift = _locked(drift_id, actor, expected_etag)
        drift.accepted_until = expires_at
        return _decide(drift, actor, Action.ACCEPT, "drift.accepted", reason)


def _require_reason(reason: str) -> None:
    if not reason.strip():
        issues = Issues()
        issues.add("reason", "required", "Say how the drift was resolved.")
        issues.raise_if_any()
