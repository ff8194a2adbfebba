"""Every endpoint, every role: who may read, who may write, and the ledger row each write leaves."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fleetgate.core.roles import Role
from tests.api.base import ALL_ROLES, Endpoint, ResourceAccessTests
from tests.factories import World, intent_data, sealed_intent

R = Role
ADMIN_OR_PACKAGER = frozenset({R.PLATFORM_ADMIN, R.PACKAGING_ENGINEER})
PUBLISHER = frozenset({R.PUBLISHER})
OVERSIGHT = frozenset({R.AUDITOR, R.PLATFORM_ADMIN, R.SECURITY_REVIEWER})


def _intent_url(world: World, suffix: str = "") -> str:
    return f"/api/v1/intents/{world.intent().pk}/{suffix}"


def _draft_with_etag(world: World) -> tuple[str, str]:
    intent = world.intent()
    return f"/api/v1/intents/{intent.pk}/", intent.etag


class _PatchIntent:
    """PATCH needs the URL and If-Match of the same intent."""

    def _get(self, world: World) -> tuple[str, str]:
        return world.once("patch-intent", lambda: _draft_with_etag(world))  # type: ignore[no-any-return]

    def url(self, world: World) -> str:
        return self._get(world)[0]

    def headers(self, world: World) -> dict[str, str]:
        return {"If-Match": self._get(world)[1]}


_patch = _PatchIntent()


class TestCatalogAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: "/api/v1/applications/", ALL_ROLES, label="list-applications"),
        Endpoint("GET", lambda w: f"/api/v1/applications/{w.app.pk}/", ALL_ROLES, label="get-application"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/applications/",
            ADMIN_OR_PACKAGER,
            201,
            label="create-application",
            body=lambda w: {
                "name": "Paint",
                "vendor": "V",
                "category": "utility",
                "platforms": ["windows"],
                "boundary": "acme",
                "business_units": ["finance"],
            },
            ledger_action="application.created",
        ),
        Endpoint(
            "PATCH",
            lambda w: f"/api/v1/applications/{w.app.pk}/",
            ADMIN_OR_PACKAGER,
            label="update-application",
            body=lambda w: {"vendor": "Other"},
            ledger_action="application.updated",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/applications/{w.app.pk}/classify/",
            frozenset({R.PLATFORM_ADMIN, R.SECURITY_REVIEWER}),
            label="classify-application",
            body=lambda w: {"blast_radius_class": "business_critical", "reason": "payroll depends on it"},
            ledger_action="application.classified",
        ),
        Endpoint("GET", lambda w: "/api/v1/versions/", ALL_ROLES, label="list-versions"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/versions/",
            frozenset({R.PACKAGING_ENGINEER}),
            201,
            label="create-version",
            body=lambda w: {"application": str(w.app.pk), "version": "2.0.0"},
            ledger_action="version.created",
        ),
        Endpoint("GET", lambda w: "/api/v1/artifacts/", ALL_ROLES, label="list-artifacts"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/artifacts/",
            frozenset({R.PACKAGING_ENGINEER}),
            201,
            multipart=True,
            label="upload-artifact",
            ledger_action="artifact.registered",
            body=lambda w: {
                "version": str(w.app.versions.get(version="1.0.0").pk),
                "platform": "windows",
                "format": "msi",
                "file": SimpleUploadedFile("a.msi", b"MSI bytes"),
            },
        ),
    ]


class TestIntentAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: "/api/v1/intents/", ALL_ROLES, label="list-intents"),
        Endpoint("GET", _intent_url, ALL_ROLES, label="get-intent"),
        Endpoint("GET", lambda w: _intent_url(w, "history/"), ALL_ROLES, label="intent-history"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/intents/",
            PUBLISHER,
            201,
            label="create-intent",
            body=lambda w: {**intent_data(w.app), "application": str(w.app.pk)},
            ledger_action="intent.created",
        ),
        Endpoint(
            "PATCH",
            _patch.url,
            PUBLISHER,
            headers=_patch.headers,
            body=lambda w: {"title": "Edited"},
            ledger_action="intent.updated",
            label="update-intent",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/intents/{sealed_intent(w).intent.pk}/submit/",
            PUBLISHER,
            ledger_actions=("intent.submitted", "intent.cab_not_required"),
            label="submit-intent",
        ),
        Endpoint(
            "POST",
            lambda w: _intent_url(w, "cancel/"),
            PUBLISHER,
            body=lambda w: {"reason": "no"},
            ledger_action="intent.cancelled",
            label="cancel-intent",
        ),
        Endpoint("GET", lambda w: "/api/v1/ring-policies/", ALL_ROLES, label="ring-policies"),
        Endpoint("GET", lambda w: "/api/v1/ring-policies/1.0/", ALL_ROLES, label="ring-policy"),
        Endpoint("GET", lambda w: "/api/v1/dashboard/", ALL_ROLES, label="dashboard"),
    ]


class TestLedgerAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: "/api/v1/ledger/", ALL_ROLES, label="list-ledger"),
        Endpoint("GET", lambda w: "/api/v1/ledger/1/", ALL_ROLES, label="get-event"),
        Endpoint("POST", lambda w: "/api/v1/ledger/verify/", OVERSIGHT, label="verify-ledger"),
        Endpoint("GET", lambda w: "/api/v1/ledger/export/", OVERSIGHT, label="export-ledger"),
    ]


def _pending_grant(world: World) -> int:
    """A role-grant request filed by another Platform Admin (the world's admin may approve it)."""
    from fleetgate.identity import services as identity
    from fleetgate.identity.queries import from_user
    from tests.factories import make_user

    requester = from_user(make_user(R.PLATFORM_ADMIN))
    row = identity.request_grant(
        actor=requester, user_id=world.users[R.AUDITOR].pk, role="security_reviewer", reason="Owns the signing keys."
    )
    return row.pk


class TestIdentityAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: "/api/v1/me/", ALL_ROLES, label="me"),
        Endpoint("GET", lambda w: "/api/v1/users/", frozenset({R.PLATFORM_ADMIN, R.AUDITOR}), label="list-users"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/users/",
            frozenset({R.PLATFORM_ADMIN}),
            201,
            label="create-user",
            body=lambda w: {"username": "newbie", "password": "a-long-enough-password", "roles": [{"role": "auditor"}]},
            ledger_action="user.created",
        ),
        Endpoint(
            "PUT",
            lambda w: f"/api/v1/users/{w.users[R.ENDPOINT_OPS].pk}/roles/",
            frozenset({R.PLATFORM_ADMIN}),
            label="set-roles",
            ledger_action="user.roles_changed",
            body=lambda w: {"roles": [{"role": "auditor", "boundary": "*", "business_units": ["*"]}]},
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/users/{w.users[R.SECURITY_REVIEWER].pk}/deactivate/",
            frozenset({R.PLATFORM_ADMIN}),
            label="deactivate-user",
            ledger_action="user.deactivated",
            body=lambda w: {"reason": "left"},
        ),
        Endpoint(
            "GET",
            lambda w: "/api/v1/role-grant-requests/",
            frozenset({R.PLATFORM_ADMIN, R.AUDITOR}),
            label="list-grants",
        ),
        Endpoint(
            "POST",
            lambda w: "/api/v1/role-grant-requests/",
            frozenset({R.PLATFORM_ADMIN}),
            201,
            label="request-grant",
            body=lambda w: {"user": w.users[R.AUDITOR].pk, "role": "cab_approver", "reason": "Joins the change board."},
            ledger_action="role_grant.requested",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/role-grant-requests/{_pending_grant(w)}/approve/",
            frozenset({R.PLATFORM_ADMIN}),
            label="approve-grant",
            body=lambda w: {"reason": "Confirmed with the CAB chair."},
            ledger_action="role_grant.approved",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/role-grant-requests/{_pending_grant(w)}/reject/",
            frozenset({R.PLATFORM_ADMIN}),
            label="reject-grant",
            body=lambda w: {"reason": "Not on the board."},
            ledger_action="role_grant.rejected",
        ),
        Endpoint("GET", lambda w: "/api/v1/tokens/", ALL_ROLES, label="list-tokens"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/tokens/",
            ALL_ROLES,
            201,
            label="create-token",
            body=lambda w: {"name": "laptop", "days": 5},
            ledger_action="token.created",
        ),
    ]


@pytest.mark.django_db
def test_an_admin_cannot_mint_a_token_for_another_person_over_the_api(world: World) -> None:
    from fleetgate.identity import services as identity
    from tests.api.base import client_for

    admin = client_for(world.users[R.PLATFORM_ADMIN])
    refused = admin.post("/api/v1/tokens/", {"name": "x", "user": world.users[R.CAB_APPROVER].pk}, format="json")
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        403,
        "separation-of-duties",
        "own-tokens-only",
    )
    robot = identity.create_user(actor=world.actors[R.PLATFORM_ADMIN], username="scraper", service_account=True)
    made = admin.post("/api/v1/tokens/", {"name": "scrape", "user": robot.pk}, format="json")
    assert (made.status_code, made.json()["username"]) == (201, "scraper")
    created = admin.post(
        "/api/v1/users/", {"username": "bot2", "service_account": True, "description": "CI"}, format="json"
    )
    assert (created.status_code, created.json()["service_account"]) == (201, True)
    cab = admin.post(
        "/api/v1/users/",
        {"username": "cab2", "password": "a-long-enough-password", "roles": [{"role": "cab_approver"}]},
        format="json",
    )
    assert (cab.status_code, cab.json()["rule"]) == (403, "dual-control")
