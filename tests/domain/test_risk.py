"""Risk services: assessment from evidence, declared-factor rules, immutability, rubric governance with
parallel scoring, replay, and the same numbers on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetgate.audit.models import LedgerEvent
from fleetgate.core.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ReplayMismatch,
    SeparationOfDuties,
    ValidationFailed,
)
from fleetgate.core.roles import Role
from fleetgate.risk import explain, queries, rubric, services
from fleetgate.risk.models import ModelState, RiskAssessment, RiskModel
from tests.factories import last_event, make_actor
from tests.fixtures.evidence import builders as b
from tests.fixtures.evidence.world import LOW_RISK, EvidenceWorld, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def ew(db: object) -> EvidenceWorld:
    ew = build()
    ew.add_all()
    return ew


def test_default_rubric_is_loaded_and_active(db: object) -> None:
    row = queries.active_model()
    assert (row.version, row.state) == ("1.0", ModelState.ACTIVE)
    assert row.sha256 == rubric.digest(rubric.embedded_document())


def test_assess_derives_and_records_one_event(ew: EvidenceWorld) -> None:
    before = LedgerEvent.objects.count()
    row = ew.assess()
    assert LedgerEvent.objects.count() == before + 1
    event = last_event()
    assert (event.action, event.subject_id, event.after["score"]) == ("risk.assessed", str(ew.intent.pk), row.score)
    assert row.risk_model_id == "1.0"
    assert row.factors["supply_chain_trust"]["option"] == "signed_known_publisher_with_provenance"
    assert row.factors["sbom_vulnerability"]["option"] == "low_medium_only"
    assert row.factors["privilege_impact"]["rationale"] == LOW_RISK["privilege_impact"]["justification"]
    assert row.inputs["facts"]["largest_ring_devices"] == 10
    assert explain.replay(row)["score"] == row.score


def test_scores_are_never_accepted_and_derived_factors_never_declared(ew: EvidenceWorld) -> None:
    declared = {**LOW_RISK, "blast_radius": {"option": "under_10_devices", "justification": "trust me, it is small"}}
    declared["privilege_impact"] = {"option": "root", "justification": "x"}
    del declared["data_access"]
    with pytest.raises(ValidationFailed) as caught:
        ew.assess(declared)
    assert {(e.field, e.rule) for e in caught.value.errors} == {
        ("declared.blast_radius", "derived-factor"),
        ("declared.privilege_impact.option", "choice"),
        ("declared.privilege_impact.justification", "required"),
        ("declared.data_access", "required"),
    }
    assert not RiskAssessment.objects.exists()


def test_assessing_needs_a_scan(db: object) -> None:
    ew = build()
    with pytest.raises(ValidationFailed) as caught:
        ew.assess()
    assert caught.value.errors[0].rule == "evidence-required"


@pytest.mark.parametrize("role", [r for r in Role if r not in (Role.PACKAGING_ENGINEER, Role.SECURITY_REVIEWER)])
def test_assess_denied_for_other_roles(ew: EvidenceWorld, role: Role) -> None:
    with pytest.raises(Forbidden):
        services.assess(actor=ew.world.actors[role], intent_id=ew.intent.pk, declared=LOW_RISK)


def test_privileged_tooling_always_needs_cab(ew: EvidenceWorld) -> None:
    ew.world.app.privileged_tooling = True
    ew.world.app.save()
    row = ew.assess()
    assert row.score <= 50
    assert row.cab_required
    assert row.reasons == ["privileged tooling always needs CAB"]


def test_replay_fails_loudly_when_anything_differs(ew: EvidenceWorld) -> None:
    row = ew.assess()
    RiskAssessment.objects.filter(pk=row.pk).update(score=row.score + 1)
    with pytest.raises(ReplayMismatch) as caught:
        explain.replay(RiskAssessment.objects.get(pk=row.pk))
    assert caught.value.extra["differences"] == ["score"]
    tampered = copy.deepcopy(row.inputs)
    tampered["facts"]["largest_ring_devices"] = 5
    RiskAssessment.objects.filter(pk=row.pk).update(inputs=tampered)
    with pytest.raises(ReplayMismatch, match="do not hash"):
        explain.replay(RiskAssessment.objects.get(pk=row.pk))


def _v11() -> dict[str, Any]:
    document = json.loads(json.dumps(rubric.embedded_document()))
    document["version"] = "1.1"
    document["factors"]["history"]["options"]["no_history"] = 0.6
    return document


def test_rubric_change_is_governed_with_parallel_scoring(ew: EvidenceWorld) -> None:
    security, cab = ew.world.actors[Role.SECURITY_REVIEWER], ew.world.actors[Role.CAB_APPROVER]
    with pytest.raises(Forbidden):
        services.propose_rubric(actor=cab, document=_v11(), reason="history is riskier")
    proposed = services.propose_rubric(actor=security, document=_v11(), reason="no history is riskier than we said")
    assert (proposed.state, last_event().action) == ("proposed", "risk_model.proposed")
    with pytest.raises(Conflict):
        services.propose_rubric(actor=security, document=_v11(), reason="again")
    with pytest.raises(Forbidden):
        services.approve_rubric(actor=security, version="1.1")
    with pytest.raises(InvalidTransition):
        services.activate_rubric(actor=cab, version="1.1")
    services.approve_rubric(actor=cab, version="1.1", reason="reviewed")
    assert last_event().action == "risk_model.approved"
    primary = ew.assess()
    twin = primary.parallel.get()
    assert (primary.risk_model_id, twin.risk_model_id) == ("1.0", "1.1")
    assert twin.score == primary.score + 1  # no_history 0.5 -> 0.6 at weight 10
    assert last_event().after["parallel"]["score"] == twin.score
    services.activate_rubric(actor=cab, version="1.1")
    assert RiskModel.objects.get(version="1.0").state == ModelState.RETIRED
    assert ew.assess().risk_model_id == "1.1"
    assert explain.replay(primary)["score"] == primary.score  # old assessments replay with their own rubric


def test_proposer_cannot_approve_their_own_rubric(ew: EvidenceWorld) -> None:
    both = make_actor(Role.SECURITY_REVIEWER)
    from fleetgate.identity.models import RoleBinding

    RoleBinding.objects.create(user_id=both.user_pk, role=Role.CAB_APPROVER, boundary="*", business_units=["*"])
    from fleetgate.identity.queries import from_user
    from tests.factories import user_model

    both = from_user(user_model().objects.get(pk=both.user_pk))
    services.propose_rubric(actor=both, document=_v11(), reason="mine")
    with pytest.raises(SeparationOfDuties):
        services.approve_rubric(actor=both, version="1.1")


def test_invalid_rubric_names_fields(ew: EvidenceWorld) -> None:
    document = _v11()
    document["factors"]["history"]["weight"] = 30
    with pytest.raises(ValidationFailed) as caught:
        services.propose_rubric(actor=ew.world.actors[Role.SECURITY_REVIEWER], document=document, reason="x")
    assert caught.value.errors[0].rule == "weights-sum-100"


# Golden numbers: this module runs on SQLite and on PostgreSQL, so both must store and return them.
GOLDEN = {"raw": "22.0", "score": 22}


def test_same_numbers_on_every_database(ew: EvidenceWorld) -> None:
    row = RiskAssessment.objects.get(pk=ew.assess().pk)
    assert {"raw": row.raw, "score": row.score} == GOLDEN
    assert explain.inputs_digest(row.inputs) == row.inputs_sha256


OPTIONS = {n: sorted(f.options) for n, f in rubric.load(rubric.embedded_document()).factors.items() if n in LOW_RISK}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(choice=st.fixed_dictionaries({n: st.sampled_from(o) for n, o in OPTIONS.items()}))
def test_stored_assessments_equal_the_pure_computation(ew: EvidenceWorld, choice: dict[str, str]) -> None:
    declared = {n: {"option": o, "justification": "property-based choice"} for n, o in choice.items()}
    row = RiskAssessment.objects.get(pk=ew.assess(declared).pk)
    pure = explain.compute(rubric.embedded_document(), row.inputs)
    assert (row.raw, row.score, row.cab_required, row.factors) == (
        pure["raw"],
        pure["score"],
        pure["cab_required"],
        pure["factors"],
    )


def test_a_scan_with_a_critical_finding_scores_blocked(db: object) -> None:
    ew = build()
    ew.add("vulnerability_scan", b.grype(ew.sha, [("CVE-2026-1", 9.8, "Critical")]))
    assert ew.assess().factors["sbom_vulnerability"]["option"] == "critical_without_exception_blocked"


def _security_and_cab() -> Any:
    """One person holding both roles (bound directly), to check separation of duties in the domain."""
    from fleetgate.identity.models import RoleBinding
    from fleetgate.identity.queries import from_user
    from tests.factories import user_model

    both = make_actor(Role.SECURITY_REVIEWER)
    RoleBinding.objects.create(user_id=both.user_pk, role=Role.CAB_APPROVER, boundary="*", business_units=["*"])
    return from_user(user_model().objects.get(pk=both.user_pk))


def test_cab_rejects_a_proposal_with_a_reason_in_one_event(db: object) -> None:
    security, cab = make_actor(Role.SECURITY_REVIEWER), make_actor(Role.CAB_APPROVER)
    services.propose_rubric(actor=security, document=_v11(), reason="no history is riskier than we said")
    before = LedgerEvent.objects.count()
    row = services.reject_rubric(actor=cab, version="1.1", reason="  history weight is already right  ")
    stored = RiskModel.objects.get(version="1.1")
    assert (stored.state, stored.rejected_by_id, stored.rejection_reason) == (
        ModelState.REJECTED,
        cab.user_pk,
        "history weight is already right",
    )
    assert stored.rejected_at is not None
    assert row.state == ModelState.REJECTED
    assert stored.reason == "no history is riskier than we said"  # the proposer's reason stays
    assert LedgerEvent.objects.count() == before + 1
    event = last_event()
    assert (event.action, event.actor_id, event.subject_id, event.reason) == (
        "risk_model.rejected",
        cab.id,
        "1.1",
        "history weight is already right",
    )
    assert (event.before["state"], event.after["state"]) == ("proposed", "rejected")
    assert queries.active_model().version == "1.0"
    with pytest.raises(InvalidTransition, match="reject needs proposed or parallel"):
        services.reject_rubric(actor=cab, version="1.1", reason="again")
    with pytest.raises(InvalidTransition):
        services.approve_rubric(actor=cab, version="1.1")


def test_rejecting_a_parallel_version_ends_parallel_scoring(ew: EvidenceWorld) -> None:
    security, cab = ew.world.actors[Role.SECURITY_REVIEWER], ew.world.actors[Role.CAB_APPROVER]
    services.propose_rubric(actor=security, document=_v11(), reason="no history is riskier than we said")
    services.approve_rubric(actor=cab, version="1.1", reason="try it")
    assert ew.assess().parallel.count() == 1
    services.reject_rubric(actor=cab, version="1.1", reason="the parallel scores were too high")
    assert queries.parallel_model() is None
    assert ew.assess().parallel.count() == 0
    with pytest.raises(InvalidTransition):
        services.activate_rubric(actor=cab, version="1.1")


def test_rejecting_needs_a_reason_naming_the_field(db: object) -> None:
    services.propose_rubric(actor=make_actor(Role.SECURITY_REVIEWER), document=_v11(), reason="mine")
    cab = make_actor(Role.CAB_APPROVER)
    before = LedgerEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.reject_rubric(actor=cab, version="1.1", reason="   ")
    assert [(e.field, e.rule) for e in caught.value.errors] == [("reason", "required")]
    assert LedgerEvent.objects.count() == before
    assert RiskModel.objects.get(version="1.1").state == ModelState.PROPOSED


@pytest.mark.parametrize("role", [r for r in Role if r != Role.CAB_APPROVER])
def test_only_cab_rejects(db: object, role: Role) -> None:
    services.propose_rubric(actor=make_actor(Role.SECURITY_REVIEWER), document=_v11(), reason="mine")
    with pytest.raises(Forbidden):
        services.reject_rubric(actor=make_actor(role), version="1.1", reason="no")
    assert RiskModel.objects.get(version="1.1").state == ModelState.PROPOSED


def test_the_proposer_cannot_reject_their_own_rubric(db: object) -> None:
    both = _security_and_cab()
    services.propose_rubric(actor=both, document=_v11(), reason="mine")
    before = LedgerEvent.objects.count()
    with pytest.raises(SeparationOfDuties, match="another person"):
        services.reject_rubric(actor=both, version="1.1", reason="changed my mind")
    assert LedgerEvent.objects.count() == before
    assert RiskModel.objects.get(version="1.1").state == ModelState.PROPOSED


def test_the_active_and_unknown_versions_cannot_be_rejected(db: object) -> None:
    cab = make_actor(Role.CAB_APPROVER)
    with pytest.raises(InvalidTransition):
        services.reject_rubric(actor=cab, version="1.0", reason="no")
    with pytest.raises(NotFound):
        services.reject_rubric(actor=cab, version="9.9", reason="no")
