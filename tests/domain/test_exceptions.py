"""Exceptions: who requests and approves, malware never, 90-day bounds, CAB quorum for scope and gate
overrides, evidence picks approved ones up, the lapse task with an injected clock, reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from fleetgate.approvals import queries
from fleetgate.approvals import services as approvals
from fleetgate.approvals.models import PolicyException
from fleetgate.audit.models import LedgerEvent
from fleetgate.core import actors
from fleetgate.core.errors import (
    Conflict,
    EvidenceIncomplete,
    Forbidden,
    InvalidTransition,
    MalwareNotExceptable,
    SeparationOfDuties,
    ValidationFailed,
)
from fleetgate.core.roles import Role
from fleetgate.evidence import services as evidence
from fleetgate.identity import services as identity
from fleetgate.identity.queries import from_user
from fleetgate.intents.models import DeploymentIntent
from fleetgate.notifications.models import Notification
from tests.factories import World, make_actor, make_user, ring_plan, sealed_intent
from tests.fixtures.evidence import builders as b
from tests.fixtures.evidence.world import EvidenceWorld, build

pytestmark = pytest.mark.django_db
R = Role
HIGH = "CVE-2026-9999"


def _data(ew: EvidenceWorld, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "vulnerability",
        "artifact": ew.artifact.pk,
        "intent": ew.intent.pk,
        "subject": HIGH,
        "justification": "Vendor fix ships next month; not reachable in our config.",
        "compensating_controls": "Port blocked by host firewall policy FW-12.",
        "owner": ew.world.users[R.PUBLISHER].username,
        "expires_in_days": 30,
        **overrides,
    }


@pytest.fixture
def ew(world: World) -> EvidenceWorld:
    ew = build(world, ring_plan=ring_plan("lab", "canary", "pilot"))
    ew.add_all(vulnerability_scan=b.trivy(ew.sha, [(HIGH, 8.1, "HIGH")]))
    return ew


def test_a_high_finding_blocks_sealing_until_security_approves_an_exception(ew: EvidenceWorld) -> None:
    ew.assess()
    with pytest.raises(EvidenceIncomplete):
        evidence.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)
    row = approvals.request_exception(actor=ew.packager, data=_data(ew))
    assert (row.state, row.quorum) == ("requested", 0)
    assert LedgerEvent.objects.filter(action="exception.requested", subject_id=str(row.pk)).count() == 1
    with pytest.raises(Forbidden):
        approvals.approve_exception(actor=ew.world.actors[R.CAB_APPROVER], exception_id=row.pk)
    row = approvals.approve_exception(actor=ew.world.actors[R.SECURITY_REVIEWER], exception_id=row.pk, reason="ok")
    assert row.state == "approved"
    assert [e.subject for e in queries.approved_exceptions(artifact_sha256=ew.sha, intent_id=ew.intent.pk)] == [HIGH]
    ew.assess()
    pack = evidence.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)
    assert '"CVE-2026-9999"' in pack.sealed_json


def test_the_requester_and_the_owner_never_approve(ew: EvidenceWorld) -> None:
    security = ew.world.actors[R.SECURITY_REVIEWER]
    row = approvals.request_exception(
        actor=ew.packager, data=_data(ew, owner=ew.world.users[R.SECURITY_REVIEWER].username)
    )
    with pytest.raises(SeparationOfDuties):
        approvals.approve_exception(actor=security, exception_id=row.pk)
    assert LedgerEvent.objects.filter(action="sod.refused", subject_id=str(row.pk)).count() == 1
    with pytest.raises(SeparationOfDuties):
        approvals.approve_exception(actor=actors.ASSISTANT, exception_id=row.pk)


@pytest.mark.parametrize("subject", ["malware", "Win.Test.EICAR_HDB-1", "no-malware"])
def test_malware_can_never_be_excepted(world: World, subject: str) -> None:
    ew = build(world)
    ew.add_all(malware_scan=b.malware(ew.sha, "detected"))
    with pytest.raises(MalwareNotExceptable) as caught:
        approvals.request_exception(actor=ew.packager, data=_data(ew, subject=subject))
    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"expires_in_days": 91}, "expires_in_days", "range"),
        ({"expires_in_days": 0}, "expires_in_days", "range"),
        ({"owner": "nobody"}, "owner", "exists"),
        ({"justification": "short"}, "justification", "required"),
        ({"compensating_controls": ""}, "compensating_controls", "required"),
        ({"kind": "whatever"}, "kind", "choice"),
        ({"subject": "CVE-0000-0000"}, "subject", "finding-exists"),
        ({"artifact": None}, "artifact", "required"),
        ({"kind": "scope", "intent": None}, "intent", "required"),
        ({"kind": "gate_override", "subject": "evidence_pack_valid"}, "subject", "not-overridable"),
        ({"kind": "gate_override", "subject": "colour"}, "subject", "choice"),
        ({"intent": "00000000-0000-0000-0000-000000000000"}, "intent", "exists"),
    ],
)
def test_bad_requests_name_the_field(ew: EvidenceWorld, overrides: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        approvals.request_exception(actor=ew.packager, data=_data(ew, **overrides))
    assert (field, rule) in {(e.field, e.rule) for e in caught.value.errors}


def test_only_packagers_and_publishers_request(ew: EvidenceWorld) -> None:
    with pytest.raises(Forbidden):
        approvals.request_exception(actor=ew.world.actors[R.ENDPOINT_OPS], data=_data(ew))
    assert approvals.request_exception(
        actor=ew.world.publisher, data=_data(ew, owner=ew.world.users[R.AUDITOR].username)
    )


def test_scope_and_gate_overrides_also_need_cab_quorum(ew: EvidenceWorld) -> None:
    from fleetgate.catalog import services as catalog

    catalog.classify_application(
        actor=ew.world.actors[R.PLATFORM_ADMIN],
        application_id=ew.world.app.pk,
        blast_radius_class="business_critical",
        reason="payroll",
    )
    row = approvals.request_exception(
        actor=ew.world.publisher,
        data=_data(
            ew, kind="gate_override", subject="min_soak", artifact=None, owner=ew.world.users[R.AUDITOR].username
        ),
    )
    assert row.quorum == 2
    security = ew.world.actors[R.SECURITY_REVIEWER]
    row = approvals.approve_exception(actor=security, exception_id=row.pk)
    assert row.state == "requested"
    with pytest.raises(Conflict):
        approvals.approve_exception(actor=make_actor(R.SECURITY_REVIEWER), exception_id=row.pk)
    row = approvals.approve_exception(actor=ew.world.actors[R.CAB_APPROVER], exception_id=row.pk)
    assert row.state == "requested"
    row = approvals.approve_exception(actor=make_actor(R.CAB_APPROVER), exception_id=row.pk)
    assert row.state == "approved"
    assert list(LedgerEvent.objects.filter(subject_id=str(row.pk)).values_list("action", flat=True)) == [
        "exception.requested",
        "exception.approval_recorded",
        "exception.approval_recorded",
        "exception.approved",
    ]


def test_reject_and_extend_bounds(ew: EvidenceWorld) -> None:
    security = ew.world.actors[R.SECURITY_REVIEWER]
    rejected = approvals.request_exception(actor=ew.packager, data=_data(ew))
    with pytest.raises(ValidationFailed):
        approvals.reject_exception(actor=security, exception_id=rejected.pk, reason="")
    assert (
        approvals.reject_exception(actor=security, exception_id=rejected.pk, reason="Patch instead").state == "rejected"
    )
    with pytest.raises(InvalidTransition):
        approvals.extend_exception(actor=security, exception_id=rejected.pk, days=5, reason="more time")
    row = approvals.request_exception(actor=ew.packager, data=_data(ew, expires_in_days=90))
    approvals.approve_exception(actor=security, exception_id=row.pk)
    with pytest.raises(ValidationFailed) as caught:
        approvals.extend_exception(actor=security, exception_id=row.pk, days=91, reason="vendor late")
    assert caught.value.errors[0].rule == "max-extension"
    row = approvals.extend_exception(actor=security, exception_id=row.pk, days=90, reason="vendor late")
    assert row.expires_at == row.original_expires_at + timedelta(days=90)
    with pytest.raises(ValidationFailed):
        approvals.extend_exception(actor=security, exception_id=row.pk, days=1, reason="again")


def test_lapse_task_with_an_injected_clock_expires_notifies_and_blocks_promotion(ew: EvidenceWorld) -> None:
    t0 = timezone.now()
    row = approvals.request_exception(actor=ew.packager, data=_data(ew, expires_in_days=20), now=t0)
    approvals.approve_exception(actor=ew.world.actors[R.SECURITY_REVIEWER], exception_id=row.pk, now=t0)
    ew.assess()
    evidence.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)
    intent = approvals.submit(actor=ew.world.publisher, intent_id=ew.intent.pk)
    assert intent.state == "approved"
    assert queries.promotion_allowed(intent, "pilot", at=t0 + timedelta(days=1)).ok

    assert approvals.lapse_and_remind(now=t0 + timedelta(days=5)) == {"lapsed": 0, "reminded": 0}
    assert approvals.lapse_and_remind(now=t0 + timedelta(days=7)) == {"lapsed": 0, "reminded": 1}
    assert approvals.lapse_and_remind(now=t0 + timedelta(days=8)) == {"lapsed": 0, "reminded": 0}
    reminder = Notification.objects.get(event="exception.expiring")
    assert sorted(reminder.recipients) == sorted([ew.world.users[R.PUBLISHER].username, ew.packager.name])

    assert approvals.lapse_and_remind(now=t0 + timedelta(days=20, seconds=1)) == {"lapsed": 1, "reminded": 0}
    row.refresh_from_db()
    assert (row.state, row.lapsed_at) == ("expired", t0 + timedelta(days=20, seconds=1))
    event = LedgerEvent.objects.get(action="exception.expired")
    assert (event.actor_id, event.subject_id) == ("service:exception-expiry", str(row.pk))
    assert Notification.objects.filter(event="exception.expired").count() == 1
    blocked = queries.promotion_allowed(DeploymentIntent.objects.get(pk=intent.pk), "lab")
    assert not blocked.ok
    assert HIGH in blocked.reasons[0]
    assert approvals.lapse_and_remind(now=t0 + timedelta(days=30)) == {"lapsed": 0, "reminded": 0}


def test_submitting_on_a_pack_whose_exception_lapsed_is_refused(ew: EvidenceWorld) -> None:
    t0 = timezone.now()
    row = approvals.request_exception(actor=ew.packager, data=_data(ew, expires_in_days=1), now=t0)
    approvals.approve_exception(actor=ew.world.actors[R.SECURITY_REVIEWER], exception_id=row.pk, now=t0)
    ew.assess()
    evidence.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)
    approvals.lapse_and_remind(now=t0 + timedelta(days=2))
    with pytest.raises(EvidenceIncomplete) as caught:
        approvals.submit(actor=ew.world.publisher, intent_id=ew.intent.pk)
    assert [e.rule for e in caught.value.errors] == ["exceptions-unexpired"]


def test_unsigned_package_exception_defaults_its_subject(world: World) -> None:
    sealed = sealed_intent(world)
    row = approvals.request_exception(
        actor=world.actors[R.PACKAGING_ENGINEER],
        data={
            "kind": "unsigned_package",
            "artifact": sealed.artifact.pk,
            "justification": "Vendor ships unsigned MSI for this build.",
            "compensating_controls": "Hash pinned and verified in lab.",
            "owner": world.users[R.PUBLISHER].username,
            "expires_in_days": 10,
        },
    )
    assert (row.subject, row.intent_id) == ("signature-verified", None)
    assert PolicyException.objects.count() == 1


def test_the_hourly_task_runs_the_sweep_with_the_real_clock(ew: EvidenceWorld) -> None:
    from fleetgate.approvals import tasks

    row = approvals.request_exception(actor=ew.packager, data=_data(ew, expires_in_days=10))
    approvals.approve_exception(actor=ew.world.actors[R.SECURITY_REVIEWER], exception_id=row.pk)
    assert tasks.lapse_exceptions.call_local() == {"lapsed": 0, "reminded": 1}


def _granted_now(world: World, role: Role) -> actors.Actor:
    """Someone granted `role` just now, the legitimate way: one Platform Admin asks, a second approves."""
    user = make_user(None)
    row = identity.request_grant(
        actor=world.actors[R.PLATFORM_ADMIN], user_id=user.pk, role=str(role), reason="Joins the review board today."
    )
    identity.approve_grant(actor=make_actor(R.PLATFORM_ADMIN), request_id=row.pk)
    return from_user(user)


def test_a_newly_granted_deciding_role_never_decides_on_an_exception_requested_before(ew: EvidenceWorld) -> None:
    world = ew.world
    vulnerability = approvals.request_exception(actor=ew.packager, data=_data(ew))
    gate = approvals.request_exception(
        actor=world.publisher,
        data=_data(ew, kind="gate_override", subject="min_soak", artifact=None, owner=world.users[R.AUDITOR].username),
    )
    late_security, late_cab = _granted_now(world, R.SECURITY_REVIEWER), _granted_now(world, R.CAB_APPROVER)

    def refused(decide: Any) -> None:
        with pytest.raises(SeparationOfDuties) as caught:
            decide()
        assert caught.value.extra["rule"] == "role-granted-after-opening"
        assert "granted after this exception was requested" in caught.value.detail

    refused(lambda: approvals.approve_exception(actor=late_security, exception_id=vulnerability.pk))
    refused(lambda: approvals.reject_exception(actor=late_security, exception_id=vulnerability.pk, reason="Patch it."))
    approvals.approve_exception(actor=world.actors[R.SECURITY_REVIEWER], exception_id=gate.pk)
    refused(lambda: approvals.approve_exception(actor=late_cab, exception_id=gate.pk))  # the CAB vote of an override
    approvals.approve_exception(actor=world.actors[R.SECURITY_REVIEWER], exception_id=vulnerability.pk)
    refused(lambda: approvals.extend_exception(actor=late_security, exception_id=vulnerability.pk, days=5, reason="x"))
    rules = LedgerEvent.objects.filter(action="sod.refused").values_list("after__rule", flat=True)
    assert list(rules) == ["role-granted-after-opening"] * 4
    # the rule is about when the change was opened, not about the person: a later request is theirs to decide
    later = approvals.request_exception(actor=ew.packager, data=_data(ew, subject=HIGH))
    assert approvals.approve_exception(actor=late_security, exception_id=later.pk).state == "approved"
    assert approvals.approve_exception(actor=world.actors[R.CAB_APPROVER], exception_id=gate.pk).state == "approved"
