"""Users, role bindings and API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fleetgate.core import services
from fleetgate.core.actors import from_user
from fleetgate.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from fleetgate.core.models import ApiToken
from fleetgate.core.roles import Role
from tests.factories import PASSWORD, World, last_event, make_user


def test_create_user_with_roles_is_audited(world: World) -> None:
    admin = world.actors[Role.PLATFORM_ADMIN]
    user = services.create_user(
        actor=admin,
        username="new-publisher",
        password=PASSWORD,
        roles=[{"role": "publisher", "boundary": "acme", "business_units": ["hr"]}],
    )
    actor = from_user(user)
    assert actor.roles == ["publisher"]
    event = last_event()
    assert (event.action, event.after["roles"]) == (
        "user.created",
        [{"role": "publisher", "boundary": "acme", "business_units": ["hr"]}],
    )
    assert "password" not in str(event.after)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.PLATFORM_ADMIN])
def test_only_platform_admin_manages_users(world: World, role: Role) -> None:
    with pytest.raises(Forbidden):
        services.create_user(actor=world.actors[role], username="x", password=PASSWORD)


def test_user_validation(world: World) -> None:
    admin = world.actors[Role.PLATFORM_ADMIN]
    with pytest.raises(ValidationFailed) as caught:
        services.create_user(
            actor=admin, username="", password="short", roles=[{"role": "king", "boundary": "", "business_units": []}]
        )
    fields = {e.field for e in caught.value.errors}
    assert {"username", "password", "roles[0].role", "roles[0].boundary", "roles[0].business_units"} <= fields
    with pytest.raises(Conflict):
        services.create_user(actor=admin, username=world.users[Role.AUDITOR].username, password=PASSWORD)


def test_set_roles_and_no_self_promotion(world: World) -> None:
    admin = world.actors[Role.PLATFORM_ADMIN]
    target = world.users[Role.AUDITOR]
    services.set_roles(
        actor=admin, user_id=target.pk, roles=[{"role": "cab_approver", "boundary": "*", "business_units": ["*"]}]
    )
    assert from_user(target).roles == ["cab_approver"]
    assert last_event().before["roles"][0]["role"] == "auditor"
    with pytest.raises(Forbidden):
        services.set_roles(actor=admin, user_id=world.users[Role.PLATFORM_ADMIN].pk, roles=[])


def test_deactivate_revokes_tokens(world: World) -> None:
    admin = world.actors[Role.PLATFORM_ADMIN]
    user = make_user(Role.PUBLISHER)
    token, _ = services.create_token(actor=from_user(user), user_id=user.pk, name="laptop")
    services.set_active(actor=admin, user_id=user.pk, active=False, reason="left the company")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert last_event().action == "user.deactivated"


def test_token_is_hashed_and_shown_once(world: World) -> None:
    user = world.users[Role.PUBLISHER]
    token, secret = services.create_token(actor=world.publisher, user_id=user.pk, name="ci", days=7)
    assert secret.startswith(f"fg_{token.key_id}_")
    assert secret.split("_", 2)[2] not in token.secret_hash
    assert token.matches(secret.split("_", 2)[2])
    assert timezone.now() + timedelta(days=6) < token.expires_at <= timezone.now() + timedelta(days=7)
    assert "secret" not in str(last_event().after)


def test_token_rules(world: World) -> None:
    user = world.users[Role.PUBLISHER]
    with pytest.raises(ValidationFailed):
        services.create_token(actor=world.publisher, user_id=user.pk, name="", days=0)
    with pytest.raises(Forbidden):
        services.create_token(actor=world.publisher, user_id=world.users[Role.AUDITOR].pk, name="not mine")
    admin_token, _ = services.create_token(actor=world.actors[Role.PLATFORM_ADMIN], user_id=user.pk, name="issued")
    assert admin_token.user_id == user.pk


def test_revoke_twice_is_an_invalid_transition(world: World) -> None:
    user = world.users[Role.PUBLISHER]
    token, _ = services.create_token(actor=world.publisher, user_id=user.pk, name="x")
    services.revoke_token(actor=world.publisher, token_id=token.pk, reason="rotated")
    assert last_event().reason == "rotated"
    with pytest.raises(InvalidTransition):
        services.revoke_token(actor=world.publisher, token_id=token.pk)
    other = make_user(Role.AUDITOR)
    other_token, _ = services.create_token(actor=from_user(other), user_id=other.pk, name="y")
    with pytest.raises(Forbidden):
        services.revoke_token(actor=world.publisher, token_id=other_token.pk)
    assert ApiToken.objects.get(pk=other_token.pk).revoked_at is None
