"""One reconciliation pass: compare, record what differs, heal what is no longer seen, and
remediate by ring policy 1.1 — each write in its own transaction with its ledger event.

Remediation re-assigns the target's app to its group through the idempotent connector path (a new
idempotency key per attempt). An attempt is claimed under a row lock before the plane is called,
so two passes running at once never remediate twice: the second finds the next attempt not due.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from fleetgate.audit import services as audit
from fleetgate.connectors import services as connectors
from fleetgate.connectors.base import RingGroup
from fleetgate.core import permissions, scoping
from fleetgate.core.actors import Actor, service
from fleetgate.core.errors import DomainError, FieldIssue, NotFound, ScopeViolation
from fleetgate.core.roles import ANY
from fleetgate.intents.models import DeploymentIntent
from fleetgate.notifications import services as notifications
from fleetgate.reconcile import policy
from fleetgate.reconcile.models import Drift
from fleetgate.reconcile.services import desired as desired_state
from fleetgate.reconcile.services.compare import Comparison, Finding, compare
from fleetgate.reconcile.services.desired import Desired
from fleetgate.reconcile.states import LIVE, Action, Route, Status, next_status
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts.facts import window_state
from fleetgate.rollouts.models import PlaneTarget
from fleetgate.rollouts.services.common import app_ref, intent_ref

RECONCILER = service("reconciler", frozenset({"connector.execute", "reconcile.run", "drift.record"}))
SUBJECT = "drift"
NOTIFY_ON = frozenset({"drift.escalated", "drift.stuck", "drift.cab_review"})


@dataclass
class PlannedAction:
    drift: str  # fingerprint
    action: str  # remediate | escalate | hold | route
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"drift": self.drift, "action": self.action, "detail": self.detail}


@dataclass
class Report:
    dry_run: bool
    intents: int = 0
    targets: int = 0
    plane_reads: int = 0
    found: dict[str, int] = field(default_factory=dict)  # kind -> count
    opened: int = 0
    healed: int = 0
    remediated: int = 0
    escalated: int = 0
    problems: list[str] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)  # what differs (capped)
    actions: list[dict[str, str]] = field(default_factory=list)  # what is (or would be) done

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


REPORT_CAP = 500


def authorize(actor: Actor, intent_id: Any) -> None:
    """Who may ask for a pass, like any write: an intent in the asker's scope (one outside it reads as
    absent, as its detail does), or every intent only for someone whose grant covers every scope."""
    permissions.require(actor, "reconcile.run")
    if intent_id is None:
        _require_everywhere(actor)
        return
    intent = scoping.scoped(actor, DeploymentIntent.objects.all(), scoping.INTENT).filter(pk=intent_id).first()
    if intent is None:
        raise NotFound(f"No intent {intent_id}.", errors=[FieldIssue("intent", "exists", "Name an existing intent.")])
    permissions.require(actor, "reconcile.run", intent)


def _require_everywhere(actor: Actor) -> None:
    """A pass over every intent reaches every scope: only someone whose grant covers them all asks for it."""
    if scoping.sees_everything(actor) or any(
        g.role in permissions.RULES["reconcile.run"] and g.scope.boundary == ANY and ANY in g.scope.business_units
        for g in actor.grants
    ):
        return
    raise ScopeViolation(
        "A pass over every intent reaches beyond your scope. Name an intent in your scope instead.",
        action="reconcile.run",
        errors=[FieldIssue("intent", "required", "Name an intent in your scope.")],
    )


def run(*, actor: Actor, intent_id: Any = None, dry_run: bool = False) -> Report:
    """One pass; every plane call in it goes through one connector client per instance."""
    authorize(actor, intent_id)
    with connectors.session():
        return _run(intent_id, dry_run)


def _run(intent_id: Any, dry_run: bool) -> Report:
    clock = clocks.current()
    now = clock.now()
    result = compare(actor=RECONCILER, desired=desired_state.load(intent_id), now=now)
    _reinstalling(result)
    report = Report(dry_run=dry_run, plane_reads=result.plane_reads, problems=result.problems)
    report.intents = len({d.intent_id for d in result.desired})
    report.targets = len(result.desired)
    for finding in result.findings:
        report.found[finding.kind.value] = report.found.get(finding.kind.value, 0) + 1
        if len(report.drift) < REPORT_CAP:
            report.drift.append(_describe(finding))
    if dry_run:
        _plan(result, now, report)
        return report
    rows = [_record(f, now, report) for f in result.findings]
    _heal(result, intent_id, {f.fingerprint for f in result.findings}, now, report)
    # a device still reinstalling after an attempt is not fixed yet: it stays due for the next one
    waiting = Drift.objects.filter(status=Status.REMEDIATING, fingerprint__in=sorted(result.unsettled)[:5000])
    _remediate([r for r in rows if r is not None] + list(waiting), result, now, report)
    return report


def _reinstalling(result: Comparison) -> None:
    """A device still pending after a remediation attempt is reinstalling, not stale: its missing
    drift stays as it is (due again after its backoff)."""
    stale = {f.fingerprint.replace(":stale:", ":missing:"): f for f in result.findings if f.kind == "stale"}
    if not stale:
        return
    remediating = set(
        Drift.objects.filter(status=Status.REMEDIATING, fingerprint__in=list(stale)[:5000]).values_list(
            "fingerprint", flat=True
        )
    )
    result.findings = [f for f in result.findings if f.fingerprint.replace(":stale:", ":missing:") not in remediating]
    result.unsettled |= remediating


def _describe(f: Finding) -> dict[str, Any]:
    d = f.desired
    return {
        "kind": f.kind.value,
        "severity": f.severity,
        "intent": d.intent_name,
        "plane": d.plane,
        "connector": d.connector_name,
        "ring": d.ring,
        "group": f.group,
        "device": f.device_name or f.device,
        "summary": f.summary,
        "route": f.route,
    }


# ---- recording ---------------------------------------------------------------------------------


def _event(actor: Actor, drift: Drift, action: str, before: Any = None, reason: str = "") -> None:
    audit.record(
        actor=actor,
        action=action,
        subject_type=SUBJECT,
        subject_id=drift.pk,
        before=before,
        after={"intent": str(drift.intent_id), **drift.snapshot()},
        reason=reason,
        severity="warning" if action in NOTIFY_ON or drift.severity == "high" else "info",
    )
    if action in NOTIFY_ON:
        recipients = ["endpoint_ops"] if drift.route != Route.CAB else ["cab"]
        notifications.notify(
            event=action,
            subject_type=SUBJECT,
            subject_id=drift.pk,
            payload={"summary": drift.summary, "kind": drift.kind, "plane": drift.plane, "group": drift.group},
            recipients=recipients,
        )


def _record(f: Finding, now: datetime, report: Report) -> Drift | None:
    d = f.desired
    values = {
        "intent_id": d.intent_id,
        "connector_id": d.connector_id,
        "target_id": f.target_id,
        "scope_key": f.scope_key,
        "kind": f.kind.value,
        "severity": f.severity,
        "plane": d.plane,
        "ring": d.ring,
        "group": f.group,
        "device": f.device,
        "device_name": f.device_name,
        "expected": f.expected,
        "observed": f.observed,
        "summary": f.summary[:300],
        "boundary": d.boundary,
        "business_unit": d.business_unit,
        "route": f.route,
        "first_seen": now,
        "last_seen": now,
    }
    with transaction.atomic():
        drift = Drift.objects.select_for_update().filter(fingerprint=f.fingerprint).first()
        if drift is None:
            try:
                with transaction.atomic():
                    drift = Drift.objects.create(fingerprint=f.fingerprint, **values)
            except IntegrityError:  # another pass recorded it a moment ago
                return Drift.objects.filter(fingerprint=f.fingerprint).first()
            report.opened += 1
            opened = {Route.CAB: "drift.cab_review"}.get(Route(drift.route), "drift.detected")
            _event(RECONCILER, drift, "drift.stuck" if f.kind == "stuck" else opened)
            return drift
        reopen = drift.status == Status.RESOLVED or (
            drift.status == Status.ACCEPTED and drift.accepted_until is not None and drift.accepted_until <= now
        )
        changes = {"last_seen": now, "observed": f.observed, "summary": values["summary"]}
        if reopen:
            before = drift.snapshot()
            drift.status = next_status(drift.status, Action.DETECT)
            changes.update(
                status=drift.status, route=f.route, attempts=0, next_attempt_at=None, resolved_at=None, hold_reason=""
            )
            for name, value in changes.items():
                setattr(drift, name, value)
            drift.revision += 1
            drift.save()
            report.opened += 1
            _event(RECONCILER, drift, "drift.reopened", before=before)
        else:
            Drift.objects.filter(pk=drift.pk).update(**changes)
    return drift


def _heal(result: Comparison, intent_id: Any, seen: set[str], now: datetime, report: Report) -> None:
    """Drift a pass read completely and no longer sees resolves itself."""
    candidates = Drift.objects.filter(status__in=[*LIVE, Status.ACCEPTED], scope_key__in=result.scopes)
    if intent_id is not None:
        candidates = candidates.filter(intent_id=intent_id)
    keep = seen | result.unsettled
    for pk, fingerprint in candidates.values_list("pk", "fingerprint").iterator():
        if fingerprint in keep:
            continue
        with transaction.atomic():
            drift = Drift.objects.select_for_update().get(pk=pk)
            if drift.status not in (*LIVE, Status.ACCEPTED):
                continue
            before = drift.snapshot()
            drift.status = next_status(drift.status, Action.HEAL)
            drift.resolved_at, drift.hold_reason = now, ""
            drift.revision += 1
            drift.save()
            report.healed += 1
            _event(RECONCILER, drift, "drift.healed", before=before, reason="no longer seen on the plane")


# ---- remediation ---------------------------------------------------------------------------------


def _window(d: Desired, now: datetime, cache: dict[Any, str]) -> str:
    if d.intent_id not in cache:
        cache[d.intent_id] = window_state(DeploymentIntent.objects.get(pk=d.intent_id), now).problem
    return cache[d.intent_id]


def _plan(result: Comparison, now: datetime, report: Report) -> None:
    """What a real pass would do, touching nothing (the drift's stored attempts are read, not changed)."""
    stored = {
        d.fingerprint: d for d in Drift.objects.filter(fingerprint__in=[f.fingerprint for f in result.findings[:5000]])
    }
    windows: dict[Any, str] = {}
    for f in result.findings:
        row = stored.get(f.fingerprint)
        decision = policy.decide(
            route_=row.route if row else f.route,
            status=row.status if row else Status.OPEN,
            attempts=row.attempts if row else 0,
            next_attempt_at=row.next_attempt_at if row else None,
            now=now,
            window_problem=_window(f.desired, now, windows),
            busy=f.desired.busy(now),
            document=f.desired.document,
        )
        report.actions.append(_planned(f.fingerprint, f.route, decision).as_dict())


def _planned(fingerprint: str, route: str, decision: policy.Decision) -> PlannedAction:
    if decision.act:
        return PlannedAction(fingerprint, "remediate", "re-assign the app to its group through the connector")
    if decision.escalate:
        return PlannedAction(fingerprint, "escalate", "attempts exhausted: escalate to Endpoint Ops")
    if decision.hold:
        return PlannedAction(fingerprint, "hold", decision.hold)
    who = {Route.CAB: "CAB (scope widens)", Route.ENDPOINT_OPS: "Endpoint Ops"}.get(Route(route), "backoff")
    return PlannedAction(fingerprint, "route" if route != Route.AUTO else "wait", f"remediation item for {who}")


def _remediate(rows: list[Drift], result: Comparison, now: datetime, report: Report) -> None:
    by_target: dict[int, list[Drift]] = defaultdict(list)
    for row in rows:
        if row.route == Route.AUTO and row.status in (Status.OPEN, Status.REMEDIATING) and row.target_id:
            by_target[row.target_id].append(row)
    desired = {d.target_id: d for d in result.desired}
    windows: dict[Any, str] = {}
    for target_id, drifts in by_target.items():
        d = desired.get(target_id)
        if d is not None:
            _remediate_target(d, [r.pk for r in drifts], now, windows, report)


def _remediate_target(d: Desired, ids: list[Any], now: datetime, windows: dict[Any, str], report: Report) -> None:
    claimed: list[Drift] = []
    with transaction.atomic():
        for drift in Drift.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            decision = policy.decide(
                route_=drift.route,
                status=drift.status,
                attempts=drift.attempts,
                next_attempt_at=drift.next_attempt_at,
                now=now,
                window_problem=_window(d, now, windows),
                busy=d.busy(now),
                document=d.document,
            )
            if decision.hold != drift.hold_reason:
                Drift.objects.filter(pk=drift.pk).update(hold_reason=decision.hold)
            if decision.escalate:
                before = drift.snapshot()
                drift.status = next_status(drift.status, Action.ESCALATE)
                drift.route, drift.revision = Route.ENDPOINT_OPS, drift.revision + 1
                drift.save()
                report.escalated += 1
                _event(
                    RECONCILER, drift, "drift.escalated", before=before, reason="auto-remediation attempts exhausted"
                )
            elif decision.act:
                before = drift.snapshot()
                drift.status = next_status(drift.status, Action.ATTEMPT)
                drift.attempts += 1
                drift.last_attempt_at, drift.next_attempt_at = now, decision.next_attempt_at
                drift.hold_reason, drift.revision = "", drift.revision + 1
                drift.save()
                claimed.append(drift)
                _event(RECONCILER, drift, "drift.remediation_attempted", before=before)
    if claimed:
        _act(d, claimed, report)


def _act(d: Desired, claimed: list[Drift], report: Report) -> None:
    target = PlaneTarget.objects.select_related("ring_run__rollout__intent").get(pk=d.target_id)
    # a new key per claimed attempt (the revision moves on every claim, also after a drift reopens)
    attempt = max(c.attempts for c in claimed)
    revision = max(c.revision for c in claimed)
    key = f"fg-reconcile:{d.target_id}:{str(min(c.pk for c in claimed))[:8]}:a{attempt}r{revision}"
    try:
        connectors.assign(
            actor=RECONCILER,
            connector_id=d.connector_id,
            app=app_ref(d.app),
            group=RingGroup(name=d.group, ring=d.ring),
            intent=intent_ref(target.ring_run.rollout.intent, d.ring),
            key=key,
        )
    except DomainError as exc:
        report.problems.append(f"remediating {d.intent_name} on {d.connector_name}/{d.group}: {exc}")
        return
    report.remediated += len(claimed)
    report.actions.append(PlannedAction(key, "remediate", f"re-assigned {d.name} {d.version} to {d.group}").as_dict())
