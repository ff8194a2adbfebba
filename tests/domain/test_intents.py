"""Intent services: every legal and illegal transition, each denied role, the exact ledger event."""

from __future__ import annotations

import pytest

from fleetgate.audit.models import LedgerEvent
from fleetgate.core.errors import (
    ActiveChangeConflict,
    Conflict,
    Forbidden,
    InvalidTransition,
    PreconditionFailed,
    ScopeViolation,
    ValidationFailed,
)
from fleetgate.core.roles import Role
from fleetgate.intents import services
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import TRANSITIONS, State
from tests.factories import World, intent_data, last_event, make_actor, ring_plan

NOT_PUBLISHERS = [r for r in Role if r != Role.PUBLISHER]


def test_create_writes_draft_and_one_ledger_event(world: World) -> None:
    before = LedgerEvent.objects.count()
    intent = world.intent(name="firefox-finance")
    assert intent.state == State.DRAFT
    assert intent.revision == 1
    assert LedgerEvent.objects.count() == before + 1
    event = last_event()
    assert (event.action, event.subject_type, event.subject_id) == ("intent.created", "intent", str(intent.pk))
    assert event.actor_id == world.publisher.id
    assert event.actor_roles == ["publisher"]
    assert event.before is None
    assert event.after["name"] == "firefox-finance"
    assert event.after["state"] == "draft"


@pytest.mark.parametrize("role", NOT_PUBLISHERS)
def test_create_denied_for_every_other_role(world: World, role: Role) -> None:
    before = LedgerEvent.objects.count()
    with pytest.raises(Forbidden):
        services.create(actor=world.actors[role], data=intent_data(world.app))
    assert LedgerEvent.objects.count() == before
    assert not DeploymentIntent.objects.exists()


def test_create_outside_publisher_scope_is_a_scope_violation(world: World) -> None:
    finance_only = make_actor(Role.PUBLISHER, business_units=["finance"])
    with pytest.raises(ScopeViolation):
        services.create(actor=finance_only, data=intent_data(world.app, target_business_unit="engineering"))
    other_boundary = make_actor(Role.PUBLISHER, boundary="globex")
    with pytest.raises(ScopeViolation):
        services.create(actor=other_boundary, data=intent_data(world.app))


def test_create_outside_application_scope_names_the_field(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=world.publisher, data=intent_data(world.app, target_business_unit="hr"))
    assert [(e.field, e.rule) for e in caught.value.errors] == [("target_business_unit", "within-application-scope")]


@pytest.mark.parametrize(
    ("plan", "field", "rule"),
    [
        ([], "ring_plan", "required"),
        (ring_plan("canary"), "ring_plan[0].ring", "starts-with-lab"),
        (ring_plan("lab", "pilot", "canary"), "ring_plan", "ring-order"),
        (ring_plan("lab", "lab"), "ring_plan", "ring-order"),
        ([{"ring": "moon", "target_group": "g", "device_count": 1}], "ring_plan[0].ring", "choice"),
        ([{"ring": "lab", "target_group": "", "device_count": 1}], "ring_plan[0].target_group", "required"),
        ([{"ring": "lab", "target_group": "g", "device_count": 0}], "ring_plan[0].device_count", "range"),
        ([{"ring": "lab", "target_group": "g", "device_count": True}], "ring_plan[0].device_count", "range"),
        (
            [{"ring": "lab", "target_group": "g", "device_count": 1, "not_before": "soon"}],
            "ring_plan[0].not_before",
            "datetime",
        ),
    ],
)
def test_ring_plan_rules(world: World, plan: list[dict[str, object]], field: str, rule: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=world.publisher, data=intent_data(world.app, ring_plan=plan))
    assert (field, rule) in [(e.field, e.rule) for e in caught.value.errors]


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"name": "Not A Slug"}, "name", "slug"),
        ({"title": " "}, "title", "required"),
        ({"target_site_classes": []}, "target_site_classes", "required"),
        ({"target_site_classes": ["mars"]}, "target_site_classes[0]", "choice"),
        ({"rollback_plan": {"strategy": "pray"}}, "rollback_plan.strategy", "choice"),
        ({"rollback_plan": {"strategy": "reinstall_previous"}}, "rollback_plan.rollback_version", "required"),
        (
            {"rollback_plan": {"strategy": "supersede", "rollback_version": "x"}},
            "rollback_plan.rollback_version",
            "semver",
        ),
        ({"rollback_plan": "none"}, "rollback_plan", "required"),
        ({"version": "9.9.9"}, "version", "exists"),
        ({"application": "00000000-0000-0000-0000-000000000000"}, "application", "exists"),
        ({"application": "nope"}, "application", "exists"),
    ],
)
def test_intent_field_rules(world: World, overrides: dict[str, object], field: str, rule: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=world.publisher, data=intent_data(world.app, **overrides))
    assert (field, rule) in [(e.field, e.rule) for e in caught.value.errors]


def test_uninstall_rollback_needs_no_version(world: World) -> None:
    intent = world.intent(rollback_plan={"strategy": "uninstall"})
    assert intent.rollback_plan == {"strategy": "uninstall"}


def test_duplicate_name_conflicts(world: World) -> None:
    world.intent(name="same")
    with pytest.raises(Conflict):
        world.intent(name="same")


def test_update_draft_with_matching_etag(world: World) -> None:
    intent = world.intent()
    updated = services.update(
        actor=world.publisher,
        intent_id=intent.pk,
        expected_etag=intent.etag,
        changes={"title": "New title", "version": "1.1.0"},
    )
    assert (updated.title, updated.version.version, updated.revision) == ("New title", "1.1.0", 2)
    event = last_event()
    assert event.action == "intent.updated"
    assert (event.before["title"], event.after["title"]) == ("Roll out", "New title")
    assert (event.before["version"], event.after["version"]) == ("1.0.0", "1.1.0")


def test_update_with_stale_etag_is_refused_and_unchanged(world: World) -> None:
    intent = world.intent()
    stale = intent.etag
    services.update(actor=world.publisher, intent_id=intent.pk, expected_etag=stale, changes={"title": "A"})
    count = LedgerEvent.objects.count()
    with pytest.raises(PreconditionFailed):
        services.update(actor=world.publisher, intent_id=intent.pk, expected_etag=stale, changes={"title": "B"})
    assert DeploymentIntent.objects.get(pk=intent.pk).title == "A"
    assert LedgerEvent.objects.count() == count


def test_update_into_foreign_scope_is_refused(world: World) -> None:
    finance_only = make_actor(Role.PUBLISHER, business_units=["finance"])
    intent = services.create(actor=finance_only, data=intent_data(world.app))
    with pytest.raises(ScopeViolation):
        services.update(
            actor=finance_only, intent_id=intent.pk, expected_etag=None, changes={"target_business_unit": "engineering"}
        )


def test_update_invalid_change_is_refused(world: World) -> None:
    intent = world.intent()
    with pytest.raises(ValidationFailed):
        services.update(actor=world.publisher, intent_id=intent.pk, expected_etag=None, changes={"ring_plan": []})


@pytest.mark.parametrize("role", NOT_PUBLISHERS)
def test_update_submit_cancel_denied_for_other_roles(world: World, role: Role) -> None:
    intent = world.intent()
    actor = world.actors[role]
    with pytest.raises(Forbidden):
        services.update(actor=actor, intent_id=intent.pk, expected_etag=None, changes={"title": "x"})
    with pytest.raises(Forbidden):
        services.submit(actor=actor, intent_id=intent.pk)
    with pytest.raises(Forbidden):
        services.cancel(actor=actor, intent_id=intent.pk)
    assert DeploymentIntent.objects.get(pk=intent.pk).state == State.DRAFT


def test_submit_then_update_is_an_invalid_transition(world: World) -> None:
    intent = services.submit(actor=world.publisher, intent_id=world.intent().pk)
    assert intent.state == State.SUBMITTED
    assert intent.submitted_at is not None
    event = last_event()
    assert (event.action, event.before["state"], event.after["state"]) == ("intent.submitted", "draft", "submitted")
    with pytest.raises(InvalidTransition):
        services.update(actor=world.publisher, intent_id=intent.pk, expected_etag=None, changes={"title": "x"})
    with pytest.raises(InvalidTransition) as caught:
        services.submit(actor=world.publisher, intent_id=intent.pk)
    assert caught.value.extra["allowed_actions"] == ["approve", "cancel", "reject", "require_cab"]


def test_submit_with_stale_etag(world: World) -> None:
    intent = world.intent()
    with pytest.raises(PreconditionFailed):
        services.submit(actor=world.publisher, intent_id=intent.pk, expected_etag='"stale"')
    assert services.submit(actor=world.publisher, intent_id=intent.pk, expected_etag=intent.etag).state == "submitted"


@pytest.mark.parametrize("submit_first", [False, True])
def test_cancel_from_draft_and_submitted_records_reason(world: World, submit_first: bool) -> None:
    intent = world.intent()
    if submit_first:
        services.submit(actor=world.publisher, intent_id=intent.pk)
    cancelled = services.cancel(actor=world.publisher, intent_id=intent.pk, reason="vendor recall")
    assert cancelled.state == State.CANCELLED
    event = last_event()
    assert (event.action, event.reason, event.after["state"]) == ("intent.cancelled", "vendor recall", "cancelled")
    with pytest.raises(InvalidTransition):
        services.cancel(actor=world.publisher, intent_id=intent.pk)


def test_one_active_change_per_application_per_ring(world: World) -> None:
    first = services.submit(actor=world.publisher, intent_id=world.intent(ring_plan=ring_plan("lab", "canary")).pk)
    clash = world.intent(ring_plan=ring_plan("lab"))
    with pytest.raises(ActiveChangeConflict) as caught:
        services.submit(actor=world.publisher, intent_id=clash.pk)
    assert caught.value.extra["conflicting_intent"] == str(first.pk)
    assert DeploymentIntent.objects.get(pk=clash.pk).state == State.DRAFT
    services.cancel(actor=world.publisher, intent_id=first.pk)
    assert services.submit(actor=world.publisher, intent_id=clash.pk).state == State.SUBMITTED


def test_unknown_intent_is_not_found(world: World) -> None:
    from fleetgate.core.errors import NotFound

    with pytest.raises(NotFound):
        services.submit(actor=world.publisher, intent_id="00000000-0000-0000-0000-000000000000")


def test_transition_table_has_no_exit_from_terminal_states() -> None:
    from fleetgate.intents.states import TERMINAL_STATES

    assert not [key for key in TRANSITIONS if key[0] in TERMINAL_STATES]
    reachable = {State.DRAFT} | set(TRANSITIONS.values())
    assert reachable == set(State)
