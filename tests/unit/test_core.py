"""Pure core pieces: scopes, permission decisions, the fsm helper, correlation ids, problem flattening."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import ErrorDetail

from fleetgate.api.problems import flatten
from fleetgate.core import correlation, permissions
from fleetgate.core.actors import ASSISTANT, SCHEDULER, Actor, RoleGrant
from fleetgate.core.errors import Forbidden, InvalidTransition, ScopeViolation
from fleetgate.core.fsm import allowed_actions, next_state
from fleetgate.core.roles import Role, Scope
from fleetgate.intents.states import TRANSITIONS, Action, State


def _actor(role: Role, boundary: str = "acme", bus: tuple[str, ...] = ("*",)) -> Actor:
    return Actor(kind="user", id="1", name="u", grants=(RoleGrant(role, Scope(boundary, frozenset(bus))),), user_pk=1)


def target(boundary: str = "acme", bu: str = "finance") -> Scope:
    return Scope(boundary, frozenset({bu}))


@pytest.mark.parametrize(
    ("grant", "tgt", "covered"),
    [
        (Scope("*", frozenset({"*"})), target("globex", "hr"), True),
        (Scope("acme", frozenset({"*"})), target(), True),
        (Scope("acme", frozenset({"finance"})), target(), True),
        (Scope("acme", frozenset({"finance"})), target(bu="hr"), False),
        (Scope("acme", frozenset({"*"})), target("globex"), False),
        (Scope("acme", frozenset()), target(), False),
        (Scope("acme", frozenset({"finance"})), Scope("acme", frozenset()), False),
    ],
)
def test_scope_covers(grant: Scope, tgt: Scope, covered: bool) -> None:
    assert grant.covers(tgt) is covered


def test_default_deny_and_unknown_actions() -> None:
    assert not permissions.can(_actor(Role.PLATFORM_ADMIN), "intent.create", target())
    assert not permissions.can(_actor(Role.PUBLISHER), "no.such.action")
    with pytest.raises(Forbidden) as caught:
        permissions.require(_actor(Role.PLATFORM_ADMIN), "intent.create", target())
    assert "Publisher" in caught.value.detail


def test_scope_violation_when_role_is_right_but_scope_is_not() -> None:
    with pytest.raises(ScopeViolation):
        permissions.require(_actor(Role.PUBLISHER, "acme", ("hr",)), "intent.create", target())


def test_auditor_reads_everywhere_but_writes_nothing() -> None:
    auditor = _actor(Role.AUDITOR, "nowhere", ("none",))
    assert permissions.can(auditor, "intent.view", target("globex"))
    assert not any(
        permissions.can(auditor, a) for a in permissions.RULES if not a.endswith((".view", ".verify", ".export"))
    )


def test_non_human_actors_have_fixed_rights() -> None:
    assert permissions.can(SCHEDULER, "ledger.checkpoint")
    assert not permissions.can(SCHEDULER, "intent.submit")
    assert not any(permissions.can(ASSISTANT, action) for action in permissions.RULES)


def test_next_state_and_allowed_actions() -> None:
    assert next_state(TRANSITIONS, State.DRAFT, Action.SUBMIT) == State.SUBMITTED
    with pytest.raises(InvalidTransition) as caught:
        next_state(TRANSITIONS, State.COMPLETED, Action.SUBMIT)
    assert caught.value.extra == {"state": "completed", "action": "submit", "allowed_actions": []}
    assert allowed_actions(TRANSITIONS, State.DRAFT) == ["cancel", "submit"]


@pytest.mark.parametrize(("given", "kept"), [("abc-123", True), ("x" * 129, False), ("<script>", False), (None, False)])
def test_correlation_ids_are_accepted_only_when_well_formed(given: str | None, kept: bool) -> None:
    accepted = correlation.accept(given)
    assert (accepted == given) is kept
    with correlation.bound(accepted):
        assert correlation.current() == accepted


def test_flatten_nested_drf_errors() -> None:
    errors = {
        "ring_plan": [{}, {"device_count": [ErrorDetail("bad", code="invalid")]}],
        "non_field_errors": [ErrorDetail("whole", code="x")],
        "tags": [ErrorDetail("t", code="y")],
    }
    flat = [(i.field, i.rule) for i in flatten(errors)]
    assert flat == [("ring_plan[1].device_count", "invalid"), ("body", "x"), ("tags", "y")]
