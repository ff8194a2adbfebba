"""A person's own account: time zone preference and password change, each one ledger event."""

from __future__ import annotations

import pytest

from fleetgate.core.actors import SYSTEM
from fleetgate.core.errors import Forbidden, ValidationFailed
from fleetgate.core.roles import Role
from fleetgate.identity import queries, services
from fleetgate.identity.models import ApiToken
from fleetgate.identity.queries import from_user
from tests.factories import BOOTSTRAP, PASSWORD, World, last_event, make_token

R = Role
NEW = "a-much-longer-passphrase-7"


def _rules(caught: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[str, str]]:
    return [(e.field, e.rule) for e in caught.value.errors]


def test_time_zone_defaults_to_utc_and_a_change_is_audited(world: World) -> None:
    user = world.users[R.AUDITOR]
    actor = world.actors[R.AUDITOR]
    assert queries.time_zone_of(user.pk) == "UTC"
    services.set_time_zone(actor=actor, time_zone="Europe/Berlin")
    assert queries.time_zone_of(user.pk) == "Europe/Berlin"
    event = last_event()
    assert (event.action, event.subject_type, event.subject_id, event.actor_id) == (
        "user.preferences_changed",
        "user",
        str(user.pk),
        str(user.pk),
    )
    assert (event.before, event.after) == ({"time_zone": "UTC"}, {"time_zone": "Europe/Berlin"})
    sequence = event.sequence
    services.set_time_zone(actor=actor, time_zone="Europe/Berlin")  # no change: no event
    assert last_event().sequence == sequence


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "europe/berlin", "UTC+2"])
def test_an_unknown_zone_is_refused_on_the_field(world: World, zone: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.set_time_zone(actor=world.actors[R.PUBLISHER], time_zone=zone)
    assert _rules(caught) == [("time_zone", "iana-zone")]


@pytest.mark.django_db
def test_only_a_person_has_preferences() -> None:
    with pytest.raises(Forbidden):
        services.set_time_zone(actor=SYSTEM, time_zone="UTC")


def test_password_change_checks_the_current_one_and_keeps_tokens_unless_asked(world: World) -> None:
    user = world.users[R.PUBLISHER]
    actor = from_user(user)
    token = make_token(user)
    assert services.change_password(actor=actor, current_password=PASSWORD, new_password=NEW) == 0
    user.refresh_from_db()
    assert user.check_password(NEW)
    event = last_event()
    assert (event.action, event.subject_id, event.severity) == ("user.password_changed", str(user.pk), "info")
    assert event.after == {"other_sessions_signed_out": True, "tokens_revoked": 0}
    assert PASSWORD not in str(event.as_export())
    assert NEW not in str(event.as_export())
    assert ApiToken.objects.get(key_id=token.split("_")[1]).is_active

    revoked = services.change_password(actor=actor, current_password=NEW, new_password=NEW + "x", revoke_tokens=True)
    assert revoked == 1
    assert not ApiToken.objects.get(key_id=token.split("_")[1]).is_active
    assert (last_event().after, last_event().severity) == (
        {"other_sessions_signed_out": True, "tokens_revoked": 1},
        "warning",
    )


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        ("wrong-password-here", NEW, [("current_password", "wrong-password")]),
        (PASSWORD, "short", [("new_password", "strength")]),
        (PASSWORD, "password1234", [("new_password", "strength")]),  # long enough, but a common password
        (PASSWORD, PASSWORD, [("new_password", "unchanged")]),
        ("wrong-password-here", "short", [("current_password", "wrong-password"), ("new_password", "strength")]),
    ],
)
def test_a_refused_password_change_names_the_field_and_writes_nothing(
    world: World, current: str, new: str, expected: list[tuple[str, str]]
) -> None:
    user = world.users[R.CAB_APPROVER]
    sequence = last_event().sequence
    with pytest.raises(ValidationFailed) as caught:
        services.change_password(actor=from_user(user), current_password=current, new_password=new)
    assert _rules(caught) == expected
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert last_event().sequence == sequence


@pytest.mark.django_db
def test_a_service_account_has_no_password_to_change() -> None:
    robot = services.create_user(actor=BOOTSTRAP, username="ci-robot", service_account=True)
    with pytest.raises(Forbidden):
        services.change_password(actor=from_user(robot), current_password="", new_password=NEW)
