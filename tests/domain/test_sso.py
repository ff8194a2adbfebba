"""Single sign-on services: the mapping (Platform Admin only, one ledger event per edit, the version bumped,
no group hands out a dual-control role) and what a sign-in does to a person's roles: mapped bindings follow
the groups, bindings granted by hand stay."""

from __future__ import annotations

from typing import Any

import pytest

from fleetgate.config import OidcConfig
from fleetgate.core.errors import Conflict, Forbidden, SeparationOfDuties, ValidationFailed
from fleetgate.core.roles import Role
from fleetgate.identity import services as identity
from fleetgate.sso import queries, services
from fleetgate.sso.errors import SsoInvalidToken
from fleetgate.sso.models import ClaimKind, MappedGrant
from tests.factories import BOOTSTRAP, World, last_event, make_actor

pytestmark = pytest.mark.django_db

OIDC = OidcConfig(issuer="https://login.example/tenant/v2.0", client_id="app", subject_claim="oid")
ISSUER = OIDC.issuer
PUBLISHERS, AUDITORS = "grp-publishers", "grp-auditors"


def claims(oid: str = "oid-1", **extra: Any) -> dict[str, Any]:
    return {"oid": oid, "preferred_username": "dana@contoso.example", "groups": [], "roles": [], **extra}


def held(user: Any) -> list[tuple[str, str, list[str]]]:
    return [(b.role, b.boundary, sorted(b.business_units)) for b in user.role_bindings.order_by("role", "boundary")]


@pytest.fixture
def admin() -> Any:
    return make_actor(Role.PLATFORM_ADMIN)


def test_create_mapping_is_a_ledger_event_and_bumps_the_version(admin: Any) -> None:
    assert queries.current_version() == 0
    row = services.create_mapping(
        actor=admin, value=PUBLISHERS, role="publisher", boundary="acme", business_units=["sales", "hr"]
    )
    assert queries.current_version() == 1
    event = last_event()
    assert (event.action, event.subject_type, event.subject_id, event.actor_id) == (
        "sso.mapping.created",
        "sso_mapping",
        str(row.pk),
        admin.id,
    )
    assert event.after["business_units"] == ["hr", "sales"]
    assert event.after["mapping_version"] == 1


def test_update_and_delete_are_ledger_events(admin: Any) -> None:
    row = services.create_mapping(actor=admin, value=PUBLISHERS, role="publisher")
    services.update_mapping(actor=admin, mapping_id=row.pk, role="endpoint_ops", description="ops")
    event = last_event()
    assert (event.action, event.before["role"], event.after["role"]) == (
        "sso.mapping.updated",
        "publisher",
        "endpoint_ops",
    )
    services.delete_mapping(actor=admin, mapping_id=row.pk, reason="group retired")
    event = last_event()
    assert (event.action, event.reason, event.after["mapping_version"]) == ("sso.mapping.deleted", "group retired", 3)
    assert not queries.mappings().exists()


@pytest.mark.parametrize("role", [r for r in Role if r != Role.PLATFORM_ADMIN])
def test_only_a_platform_admin_edits_the_mapping(role: Role) -> None:
    with pytest.raises(Forbidden):
        services.create_mapping(actor=make_actor(role), value=PUBLISHERS, role="publisher")


@pytest.mark.parametrize("role", ["platform_admin", "cab_approver", "security_reviewer"])
def test_no_group_hands_out_a_dual_control_role(admin: Any, role: str) -> None:
    with pytest.raises(SeparationOfDuties) as refused:
        services.create_mapping(actor=admin, value=PUBLISHERS, role=role)
    assert "role-grant request" in refused.value.detail
    assert last_event().action == "sod.refused"
    assert not queries.mappings().exists()
    row = services.create_mapping(actor=admin, value=PUBLISHERS, role="auditor")
    with pytest.raises(SeparationOfDuties):
        services.update_mapping(actor=admin, mapping_id=row.pk, role=role)


def test_mapping_is_validated_and_unique(admin: Any) -> None:
    with pytest.raises(ValidationFailed) as bad:
        services.create_mapping(actor=admin, kind="nope", value=" ", role="wizard", boundary="")
    assert {e.field for e in bad.value.errors} == {"kind", "value", "role", "boundary"}
    services.create_mapping(actor=admin, value=PUBLISHERS, role="publisher")
    with pytest.raises(Conflict):
        services.create_mapping(actor=admin, value=PUBLISHERS, role="publisher")


def test_mapped_grants_add_up_business_units(admin: Any) -> None:
    services.create_mapping(actor=admin, value=PUBLISHERS, role="publisher", boundary="acme", business_units=["a"])
    services.create_mapping(actor=admin, value=AUDITORS, role="publisher", boundary="acme", business_units=["b"])
    services.create_mapping(actor=admin, kind=ClaimKind.APP_ROLE, value="Ops", role="endpoint_ops")
    assert queries.mapped_grants(groups=[PUBLISHERS, AUDITORS], app_roles=["Ops"]) == {
        ("publisher", "acme"): ["a", "b"],
        ("endpoint_ops", "*"): ["*"],
    }


def test_sign_in_provisions_once_and_follows_the_groups(admin: Any) -> None:
    services.create_mapping(actor=admin, value=PUBLISHERS, role="publisher", boundary="acme")
    user, version = services.sign_in(oidc=OIDC, issuer=ISSUER, claims=claims(groups=[PUBLISHERS]))
    assert version == 1
    assert held(user) == [("publisher", "acme", ["*"])]
    assert user.username == "dana@contoso.example"
    assert not user.has_usable_password()
    again, _ = services.sign_in(oidc=OIDC, issuer=ISSUER, claims=claims(groups=[]))
    assert again.pk == user.pk
    assert held(user) == []
    assert not MappedGrant.objects.exists()


def test_removing_a_group_keeps_roles_granted_by_hand(admin: Any) -> None:
    services.create_mapping(actor=admin, value=PUBLISHERS, role="publisher", boundary="acme")
    services.create_mapping(actor=admin, value=AUDITORS, role="auditor")
    user, _ = services.sign_in(oidc=OIDC, issuer=ISSUER, claims=claims(groups=[AUDITORS]))
    identity.set_roles(
        actor=BOOTSTRAP,
        user_id=user.pk,
        roles=[
            {"role": "auditor", "boundary": "*", "business_units": ["*"]},
            {"role": "publisher", "boundary": "acme", "business_units": ["*"]},  # by hand, the same as a mapping
        ],
    )
    services.sign_in(oidc=OIDC, issuer=ISSUER, claims=claims(groups=[PUBLISHERS]))
    assert held(user) == [("publisher", "acme", ["*"])]  # auditor (mapped) went; publisher (by hand) stays
    services.sign_in(oidc=OIDC, issuer=ISSUER, claims=claims(groups=[]))
    assert held(user) == [("publisher", "acme", ["*"])]


def test_a_mapping_edit_reaches_the_user_at_reevaluation(admin: Any) -> None:
    row = services.create_mapping(actor=admin, value=PUBLISHERS, role="publisher", boundary="acme")
    user, _ = services.sign_in(oidc=OIDC, issuer=ISSUER, claims=claims(groups=[PUBLISHERS]))
    services.update_mapping(actor=admin, mapping_id=row.pk, business_units=["sales"])
    assert services.reevaluate(user_id=user.pk) == 2
    assert held(user) == [("publisher", "acme", ["sales"])]
    assert last_event().action == "user.roles_changed"
    services.delete_mapping(actor=admin, mapping_id=row.pk)
    services.reevaluate(user_id=user.pk)
    assert held(user) == []


def test_an_existing_local_account_is_never_taken_over(world: World) -> None:
    local = world.users[Role.PUBLISHER]
    user, _ = services.sign_in(
        oidc=OIDC, issuer=ISSUER, claims=claims(oid="abcdef123456", preferred_username=local.username)
    )
    assert user.pk != local.pk
    assert user.username == f"{local.username}-abcdef12"


def test_groups_claim_must_be_a_list_of_strings() -> None:
    with pytest.raises(SsoInvalidToken) as bad:
        services.sign_in(oidc=OIDC, issuer=ISSUER, claims=claims(groups=[1, 2]))
    assert (bad.value.extra["check"], bad.value.extra["claim"]) == ("claims", "groups")
