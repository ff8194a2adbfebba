"""Users, role bindings, dual-control role grants, service accounts, API tokens and sign-in lockout."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from fleetgate.approvals import queries as approvals_queries
from fleetgate.approvals import services as approvals
from fleetgate.audit.models import LedgerEvent
from fleetgate.core.errors import (
    AccountLocked,
    Conflict,
    Forbidden,
    InvalidTransition,
    LastPlatformAdmin,
    RoleConflict,
    SeparationOfDuties,
    ValidationFailed,
)
from fleetgate.core.roles import Role
from fleetgate.identity import services
from fleetgate.identity.models import ApiToken, RoleBinding
from fleetgate.identity.queries import from_user
from tests.factories import BOOTSTRAP, PASSWORD, World, last_event, make_user, sealed_intent, unique

R = Role
ALL = {"boundary": "*", "business_units": ["*"]}


def _grant(role: Role, **scope: Any) -> dict[str, Any]:
    return {"role": str(role), **(scope or ALL)}


def _second_admin() -> Any:
    return from_user(make_user(R.PLATFORM_ADMIN))


def _dual_grant(world: World, user: Any, role: Role) -> Any:
    """The legitimate path: one Platform Admin requests, a second approves."""
    row = services.request_grant(
        actor=world.actors[R.PLATFORM_ADMIN], user_id=user.pk, role=str(role), reason="Joins the change board."
    )
    return services.approve_grant(actor=_second_admin(), request_id=row.pk)


# --- users and roles ---------------------------------------------------------------------------------


def test_create_user_with_roles_is_audited(world: World) -> None:
    admin = world.actors[R.PLATFORM_ADMIN]
    user = services.create_user(
        actor=admin,
        username="new-publisher",
        password=PASSWORD,
        roles=[{"role": "publisher", "boundary": "acme", "business_units": ["hr"]}],
    )
    actor = from_user(user)
    assert actor.roles == ["publisher"]
    event = last_event()
    assert (event.action, event.after["roles"], event.severity) == (
        "user.created",
        [{"role": "publisher", "boundary": "acme", "business_units": ["hr"]}],
        "info",
    )
    assert "password" not in str(event.after)


@pytest.mark.parametrize("role", [r for r in Role if r != R.PLATFORM_ADMIN])
def test_only_platform_admin_manages_users(world: World, role: Role) -> None:
    with pytest.raises(Forbidden):
        services.create_user(actor=world.actors[role], username="x", password=PASSWORD)


def test_user_validation(world: World) -> None:
    admin = world.actors[R.PLATFORM_ADMIN]
    with pytest.raises(ValidationFailed) as caught:
        services.create_user(
            actor=admin, username="", password="short", roles=[{"role": "king", "boundary": "", "business_units": []}]
        )
    fields = {e.field for e in caught.value.errors}
    assert {"username", "password", "roles[0].role", "roles[0].boundary", "roles[0].business_units"} <= fields
    with pytest.raises(Conflict):
        services.create_user(actor=admin, username=world.users[R.AUDITOR].username, password=PASSWORD)


def test_set_roles_and_no_self_promotion(world: World) -> None:
    admin = world.actors[R.PLATFORM_ADMIN]
    target = world.users[R.AUDITOR]
    services.set_roles(actor=admin, user_id=target.pk, roles=[_grant(R.ENDPOINT_OPS)])
    assert from_user(target).roles == ["endpoint_ops"]
    assert last_event().before["roles"][0]["role"] == "auditor"
    with pytest.raises(Forbidden):
        services.set_roles(actor=admin, user_id=world.users[R.PLATFORM_ADMIN].pk, roles=[])


@pytest.mark.parametrize("role", sorted(r.value for r in (R.CAB_APPROVER, R.SECURITY_REVIEWER, R.PLATFORM_ADMIN)))
def test_an_admin_alone_never_grants_a_deciding_or_admin_role(world: World, role: str) -> None:
    admin = world.actors[R.PLATFORM_ADMIN]
    with pytest.raises(SeparationOfDuties) as created:
        services.create_user(actor=admin, username=unique("cab"), password=PASSWORD, roles=[_grant(Role(role))])
    assert created.value.extra["rule"] == "dual-control"
    assert "role-grant-requests" in created.value.detail
    target = world.users[R.AUDITOR]
    with pytest.raises(SeparationOfDuties):
        services.set_roles(actor=admin, user_id=target.pk, roles=[_grant(R.AUDITOR), _grant(Role(role))])
    assert from_user(target).roles == ["auditor"]


def test_removing_a_deciding_role_needs_no_second_admin(world: World) -> None:
    cab = world.users[R.CAB_APPROVER]
    services.set_roles(actor=world.actors[R.PLATFORM_ADMIN], user_id=cab.pk, roles=[_grant(R.AUDITOR)])
    assert from_user(cab).roles == ["auditor"]


def test_unchanged_bindings_keep_their_grant_time(world: World) -> None:
    user = make_user(R.PUBLISHER, boundary="*")
    granted = RoleBinding.objects.get(user=user).created_at
    services.set_roles(
        actor=world.actors[R.PLATFORM_ADMIN], user_id=user.pk, roles=[_grant(R.PUBLISHER), _grant(R.AUDITOR)]
    )
    assert RoleBinding.objects.get(user=user, role=R.PUBLISHER).created_at == granted


@pytest.mark.parametrize("deciding", [R.CAB_APPROVER, R.SECURITY_REVIEWER])
def test_platform_admin_never_also_decides(world: World, deciding: Role) -> None:
    with pytest.raises(RoleConflict):  # not even on the host path
        services.create_user(
            actor=BOOTSTRAP,
            username=unique("both"),
            password=PASSWORD,
            roles=[_grant(R.PLATFORM_ADMIN), _grant(deciding)],
        )
    with pytest.raises(RoleConflict):
        services.set_roles(
            actor=BOOTSTRAP, user_id=world.users[deciding].pk, roles=[_grant(deciding), _grant(R.PLATFORM_ADMIN)]
        )
    with pytest.raises(RoleConflict):
        services.request_grant(
            actor=world.actors[R.PLATFORM_ADMIN],
            user_id=world.users[deciding].pk,
            role="platform_admin",
            reason="Also administers.",
        )


def test_packaging_engineer_with_publisher_is_allowed(world: World) -> None:
    user = services.create_user(
        actor=world.actors[R.PLATFORM_ADMIN],
        username=unique("both"),
        password=PASSWORD,
        roles=[_grant(R.PACKAGING_ENGINEER), _grant(R.PUBLISHER)],
    )
    assert from_user(user).roles == ["packaging_engineer", "publisher"]


def test_host_path_grants_directly_as_a_critical_event(db: Any) -> None:
    user = services.create_user(
        actor=BOOTSTRAP, username="first-admin", password=PASSWORD, roles=[_grant(R.PLATFORM_ADMIN)]
    )
    event = last_event()
    assert (event.action, event.severity, event.actor_kind, event.subject_id) == (
        "user.created",
        "critical",
        "service",
        str(user.pk),
    )


# --- dual control ------------------------------------------------------------------------------------


def test_role_grant_needs_a_second_platform_admin(world: World) -> None:
    admin = world.actors[R.PLATFORM_ADMIN]
    target = world.users[R.AUDITOR]
    row = services.request_grant(
        actor=admin, user_id=target.pk, role="cab_approver", boundary="acme", reason="Joins the change board."
    )
    assert (last_event().action, last_event().severity, row.state) == ("role_grant.requested", "warning", "pending")
    assert from_user(target).roles == ["auditor"]
    with pytest.raises(SeparationOfDuties) as caught:
        services.approve_grant(actor=admin, request_id=row.pk)
    assert caught.value.extra["rule"] == "dual-control"
    refused = last_event()
    assert (refused.action, refused.actor_id, refused.after["rule"]) == ("sod.refused", admin.id, "dual-control")
    with pytest.raises(Forbidden):
        services.approve_grant(actor=world.actors[R.CAB_APPROVER], request_id=row.pk)
    second = _second_admin()
    approved = services.approve_grant(actor=second, request_id=row.pk, reason="Confirmed with the CAB chair.")
    assert (approved.state, approved.decided_by_id) == ("approved", second.user_pk)
    assert from_user(target).roles == ["auditor", "cab_approver"]
    event = last_event()
    assert (event.action, event.severity, event.actor_id) == ("role_grant.approved", "critical", second.id)
    assert {"role": "cab_approver", "boundary": "acme", "business_units": ["*"]} in event.after["user_roles"]
    with pytest.raises(InvalidTransition):
        services.approve_grant(actor=_second_admin(), request_id=row.pk)


def test_role_grant_request_rules(world: World) -> None:
    admin = world.actors[R.PLATFORM_ADMIN]
    with pytest.raises(ValidationFailed) as caught:
        services.request_grant(actor=admin, user_id=world.users[R.AUDITOR].pk, role="publisher", boundary="", reason="")
    assert {e.field for e in caught.value.errors} == {"role", "boundary", "reason"}
    with pytest.raises(SeparationOfDuties) as self_grant:
        services.request_grant(actor=admin, user_id=admin.user_pk, role="security_reviewer", reason="I want it too.")
    assert self_grant.value.extra["rule"] == "no-self-grant"
    with pytest.raises(SeparationOfDuties):
        services.request_grant(actor=BOOTSTRAP, user_id=world.users[R.AUDITOR].pk, role="cab_approver", reason="x" * 12)
    services.request_grant(actor=admin, user_id=world.users[R.AUDITOR].pk, role="cab_approver", reason="Joins CAB.")
    with pytest.raises(Conflict):
        services.request_grant(
            actor=admin, user_id=world.users[R.AUDITOR].pk, role="cab_approver", reason="Asked again by mistake."
        )


def test_recipient_cannot_approve_and_a_rejection_is_recorded(world: World) -> None:
    other = _second_admin()
    row = services.request_grant(
        actor=world.actors[R.PLATFORM_ADMIN],
        user_id=other.user_pk,
        role="platform_admin",
        boundary="globex",
        reason="Runs globex.",
    )
    with pytest.raises(SeparationOfDuties):
        services.approve_grant(actor=other, request_id=row.pk)
    with pytest.raises(ValidationFailed):
        services.reject_grant(actor=_second_admin(), request_id=row.pk, reason=" ")
    rejected = services.reject_grant(actor=_second_admin(), request_id=row.pk, reason="Globex has its own admin.")
    assert (rejected.state, last_event().action) == ("rejected", "role_grant.rejected")


def test_a_new_deciding_role_cannot_decide_on_a_change_submitted_before(world: World) -> None:
    sealed = sealed_intent(world, high_risk=True)
    intent = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    assert intent.state == "awaiting_cab"
    request = intent.cab_requests.get()
    newcomer = make_user(R.AUDITOR)
    _dual_grant(world, newcomer, R.CAB_APPROVER)
    late = from_user(newcomer)
    assert request not in approvals_queries.pending_for(late)
    with pytest.raises(SeparationOfDuties) as caught:
        approvals.decide(actor=late, request_id=request.pk, kind="approve")
    assert caught.value.extra["rule"] == "role-granted-after-opening"
    assert (last_event().action, last_event().after["rule"]) == ("sod.refused", "role-granted-after-opening")
    assert request in approvals_queries.pending_for(world.actors[R.CAB_APPROVER])
    approvals.decide(actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="approve")


# --- packaging != publishing, per change ----------------------------------------------------------


def test_the_packager_of_a_change_never_submits_it(world: World) -> None:
    both = from_user(
        services.create_user(
            actor=BOOTSTRAP,
            username=unique("both"),
            password=PASSWORD,
            roles=[
                {"role": str(r), "boundary": "acme", "business_units": ["*"]}
                for r in (R.PACKAGING_ENGINEER, R.PUBLISHER)
            ],
        )
    )
    publisher = world.actors[R.PUBLISHER]
    world.actors[R.PACKAGING_ENGINEER] = world.actors[R.PUBLISHER] = both
    sealed = sealed_intent(world)  # both packages, declares the risk, seals, and owns the intent
    with pytest.raises(SeparationOfDuties) as caught:
        approvals.submit(actor=both, intent_id=sealed.intent.pk)
    assert caught.value.extra["rule"] == "packager-submits"
    event = last_event()
    assert (event.action, event.actor_id, event.subject_id) == ("sod.refused", both.id, str(sealed.intent.pk))
    sealed.intent.refresh_from_db()
    assert sealed.intent.state == "draft"
    assert approvals.submit(actor=publisher, intent_id=sealed.intent.pk).state == "approved"


# --- the last Platform Admin --------------------------------------------------------------------------


def test_the_only_platform_admin_cannot_leave_nobody_to_administer(world: World) -> None:
    admin = world.actors[R.PLATFORM_ADMIN]
    with pytest.raises(LastPlatformAdmin) as caught:
        services.set_active(actor=admin, user_id=admin.user_pk, active=False, reason="leaving")
    assert caught.value.code == "last-platform-admin"
    with pytest.raises(LastPlatformAdmin):
        services.set_roles(actor=BOOTSTRAP, user_id=admin.user_pk, roles=[_grant(R.AUDITOR)])
    assert world.users[R.PLATFORM_ADMIN].__class__.objects.get(pk=admin.user_pk).is_active
    second = _second_admin()
    services.set_active(actor=second, user_id=admin.user_pk, active=False, reason="left the company")
    assert last_event().action == "user.deactivated"


def test_deactivate_revokes_tokens(world: World) -> None:
    admin = world.actors[R.PLATFORM_ADMIN]
    user = make_user(R.PUBLISHER)
    token, _ = services.create_token(actor=from_user(user), user_id=user.pk, name="laptop")
    services.set_active(actor=admin, user_id=user.pk, active=False, reason="left the company")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert last_event().action == "user.deactivated"


# --- tokens ----------------------------------------------------------------------------------------


def test_token_is_hashed_and_shown_once(world: World) -> None:
    user = world.users[R.PUBLISHER]
    token, secret = services.create_token(actor=world.publisher, user_id=user.pk, name="ci", days=7)
    assert secret.startswith(f"fg_{token.key_id}_")
    assert secret.split("_", 2)[2] not in token.secret_hash
    assert token.matches(secret.split("_", 2)[2])
    assert timezone.now() + timedelta(days=6) < token.expires_at <= timezone.now() + timedelta(days=7)
    assert "secret" not in str(last_event().after)


def test_an_admin_never_mints_a_token_for_another_person(world: World) -> None:
    admin = world.actors[R.PLATFORM_ADMIN]
    cab = world.users[R.CAB_APPROVER]
    with pytest.raises(SeparationOfDuties) as caught:
        services.create_token(actor=admin, user_id=cab.pk, name="issued")
    assert caught.value.extra["rule"] == "own-tokens-only"
    assert (last_event().action, last_event().subject_id) == ("sod.refused", str(cab.pk))
    assert not ApiToken.objects.filter(user=cab).exists()
    with pytest.raises(Forbidden):
        services.create_token(actor=world.publisher, user_id=world.users[R.AUDITOR].pk, name="not mine")


def test_service_accounts_hold_no_role_and_take_admin_issued_tokens(world: World) -> None:
    admin = world.actors[R.PLATFORM_ADMIN]
    robot = services.create_user(actor=admin, username="ci-robot", service_account=True, description="CI")
    assert not robot.has_usable_password()
    assert last_event().after["service_account"] is True
    token, _ = services.create_token(actor=admin, user_id=robot.pk, name="pipeline")
    assert token.user_id == robot.pk
    with pytest.raises(Forbidden):
        services.set_roles(actor=admin, user_id=robot.pk, roles=[_grant(R.PUBLISHER)])
    with pytest.raises(Forbidden):
        services.request_grant(actor=admin, user_id=robot.pk, role="cab_approver", reason="Robot decides!")
    with pytest.raises(ValidationFailed):
        services.create_user(actor=admin, username="bad-robot", service_account=True, roles=[_grant(R.AUDITOR)])


def test_token_rules(world: World) -> None:
    user = world.users[R.PUBLISHER]
    with pytest.raises(ValidationFailed):
        services.create_token(actor=world.publisher, user_id=user.pk, name="", days=0)


def test_revoke_twice_is_an_invalid_transition(world: World) -> None:
    user = world.users[R.PUBLISHER]
    token, _ = services.create_token(actor=world.publisher, user_id=user.pk, name="x")
    services.revoke_token(actor=world.publisher, token_id=token.pk, reason="rotated")
    assert last_event().reason == "rotated"
    with pytest.raises(InvalidTransition):
        services.revoke_token(actor=world.publisher, token_id=token.pk)
    other = make_user(R.AUDITOR)
    other_token, _ = services.create_token(actor=from_user(other), user_id=other.pk, name="y")
    with pytest.raises(Forbidden):
        services.revoke_token(actor=world.publisher, token_id=other_token.pk)
    assert ApiToken.objects.get(pk=other_token.pk).revoked_at is None


# --- sign-in lockout ---------------------------------------------------------------------------------


def test_repeated_failures_lock_the_account_with_a_ledger_event(world: World) -> None:
    username = world.users[R.PUBLISHER].username
    request = RequestFactory().post("/api/v1/auth/login/")
    services.unlock(username)
    for _ in range(services.signin.LOCK_AFTER - 1):
        with pytest.raises(services.WrongCredentials):
            services.sign_in(request, username=username, password="guess")
    with pytest.raises(AccountLocked) as caught:
        services.sign_in(request, username=username, password="guess")
    assert caught.value.status == 423
    event = last_event()
    assert (event.action, event.subject_id, event.after["failures"]) == ("user.locked_out", username, 10)
    with pytest.raises(AccountLocked):  # even the right password, while locked
        services.sign_in(request, username=username, password=PASSWORD)
    assert LedgerEvent.objects.filter(action="user.locked_out").count() == 1
    services.unlock(username)
    assert services.sign_in(request, username=username, password=PASSWORD).pk == world.users[R.PUBLISHER].pk


def test_a_success_resets_the_failure_count(world: World) -> None:
    username = world.users[R.AUDITOR].username
    request = RequestFactory().post("/api/v1/auth/login/")
    services.unlock(username)
    for _ in range(services.signin.LOCK_AFTER - 1):
        with pytest.raises(services.WrongCredentials):
            services.sign_in(request, username=username, password="guess")
    services.sign_in(request, username=username, password=PASSWORD)
    with pytest.raises(services.WrongCredentials):
        services.sign_in(request, username=username, password="guess")
    services.unlock(username)


# --- the move out of core: a fresh database and an existing one both migrate -----------------------


def _migrate(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--verbosity", "0", *args],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


PROBE = """
import django; django.setup()
from django.db import connection
from fleetgate.identity.models import ApiToken, RoleBinding
tables = set(connection.introspection.table_names())
assert {"core_rolebinding", "core_apitoken", "identity_rolegrantrequest", "fleetgate_cache"} <= tables, tables
print(list(RoleBinding.objects.values_list("role", flat=True)), ApiToken.objects.count())
"""


@pytest.mark.django_db(transaction=True)
def test_identity_migrates_from_zero_and_keeps_rows_of_an_existing_install(tmp_path: Any) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fleetgate.settings", "FLEETGATE_DATA_DIR": str(tmp_path)}
    name = f"fg_migrate_{os.getpid()}"
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        env["FLEETGATE_DATABASE_URL"] = (
            f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
            cursor.execute(f"CREATE DATABASE {name}")
    else:
        env["FLEETGATE_DATABASE_URL"] = ""
    try:
        _migrate(env)  # a fresh installation, from zero
        _migrate(env, "core", "0001")  # back to an installation from before the move (identity reverses)
        seed = (
            "import django; django.setup()\n"
            "from django.db import connection\n"
            "with connection.cursor() as c:\n"
            '    c.execute("INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, '
            "is_staff, is_active, date_joined) VALUES ('!', false, 'old-admin', '', '', '', false, true, "
            'CURRENT_TIMESTAMP)")\n'
            '    c.execute("INSERT INTO core_rolebinding (user_id, role, boundary, business_units, created_at) '
            "SELECT id, 'platform_admin', '*', '[\\\"*\\\"]', CURRENT_TIMESTAMP FROM auth_user\")\n"
        )
        subprocess.run([sys.executable, "-c", seed], env=env, check=True, capture_output=True, timeout=120)
        _migrate(env)
        out = subprocess.run(
            [sys.executable, "-c", PROBE], env=env, check=True, capture_output=True, text=True, timeout=120
        )
        assert out.stdout.split() == ["['platform_admin']", "0"]
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {name}")
