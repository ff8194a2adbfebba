"""The site registry and bundle listings over the API: who may do what, the ledger row per write, and
field-level problems for bad input."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fleetgate.core.errors import ValidationFailed
from fleetgate.core.roles import Role
from fleetgate.evidence import crypto
from fleetgate.sites.services import registry
from tests.api.base import ALL_ROLES, Endpoint, ResourceAccessTests, client_for
from tests.factories import World

R = Role
ADMIN = frozenset({R.PLATFORM_ADMIN})
PEM = crypto.public_pem(Ed25519PrivateKey.generate().public_key())


def _site(world: World) -> Any:
    return world.once(
        "site",
        lambda: registry.create_site(
            actor=world.actors[R.PLATFORM_ADMIN],
            data={
                "name": "vault-north",
                "site_class": "air_gapped",
                "boundary": "acme",
                "plane": "sccm",
                "time_zone": "Europe/Berlin",
                "public_key_pem": PEM,
            },
        ),
    )


class TestSiteAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: (_site(w), "/api/v1/sites/")[1], ALL_ROLES, label="list-sites"),
        Endpoint("GET", lambda w: f"/api/v1/sites/{_site(w).pk}/", ALL_ROLES, label="get-site"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/sites/",
            ADMIN,
            201,
            label="create-site",
            body=lambda w: {"name": "branch-7", "site_class": "online", "boundary": "acme", "plane": "intune"},
            ledger_action="site.created",
        ),
        Endpoint(
            "PATCH",
            lambda w: f"/api/v1/sites/{_site(w).pk}/",
            ADMIN,
            label="update-site",
            body=lambda w: {"time_zone": "Europe/Paris"},
            headers=lambda w: {"If-Match": _site(w).etag},
            ledger_action="site.updated",
        ),
        Endpoint("GET", lambda w: "/api/v1/distribution-strategies/", ALL_ROLES, label="list-strategies"),
        Endpoint("GET", lambda w: "/api/v1/bundle-exports/", ALL_ROLES, label="list-exports"),
        Endpoint("GET", lambda w: "/api/v1/bundle-imports/", ALL_ROLES, label="list-imports"),
    ]


@pytest.mark.django_db
def test_bad_sites_are_problems_naming_field_and_rule(world: World) -> None:
    client = client_for(world.users[R.PLATFORM_ADMIN])
    response = client.post(
        "/api/v1/sites/",
        {
            "name": "Vault North",
            "site_class": "air_gapped",
            "boundary": "acme",
            "plane": "sccm",
            "time_zone": "Mars/Base",
        },
        format="json",
    )
    assert response.status_code == 400
    issues = {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert {("name", "slug"), ("time_zone", "time-zone"), ("public_key_pem", "required")} <= issues
    site = _site(world)
    assert client.patch(f"/api/v1/sites/{site.pk}/", {"title": "x"}, format="json").status_code == 428
    stale = client.patch(f"/api/v1/sites/{site.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH='"stale"')
    assert stale.status_code == 412
    fresh = client.get(f"/api/v1/sites/{site.pk}/")
    done = client.patch(
        f"/api/v1/sites/{site.pk}/", {"public_key_pem": "nope"}, format="json", HTTP_IF_MATCH=fresh["ETag"]
    )
    assert done.status_code == 400
    assert done.json()["errors"][0]["field"] == "public_key_pem"
    strategies = client.get("/api/v1/distribution-strategies/").json()
    assert {s["site_class"]: s["distribution"] for s in strategies} == {
        "air_gapped": "signed_bundle",
        "intermittent": "connector_or_bundle",
        "online": "connector",
    }


@pytest.mark.django_db
def test_strategy_and_trust_changes_are_governed(world: World) -> None:
    row = registry.update_strategy(
        actor=world.actors[R.SECURITY_REVIEWER],
        site_class="air_gapped",
        changes={"vuln_snapshot_max_age_days": 3},
        reason="Monthly transfers now weekly",
    )
    assert row.vuln_snapshot_max_age_days == 3
    with pytest.raises(Exception, match=r"site\.strategy"):
        registry.update_strategy(actor=world.publisher, site_class="online", changes={}, reason="x")
    with pytest.raises(ValidationFailed) as bad:
        registry.update_strategy(
            actor=world.actors[R.SECURITY_REVIEWER],
            site_class="online",
            changes={"vuln_snapshot_max_age_days": 0},
            reason="x",
        )
    assert [(e.field, e.rule) for e in bad.value.errors] == [("vuln_snapshot_max_age_days", "range")]
    trusted = registry.trust_installation(actor=world.actors[R.SECURITY_REVIEWER], name="central", public_key_pem=PEM)
    with pytest.raises(Exception, match="trusted already"):
        registry.trust_installation(actor=world.actors[R.SECURITY_REVIEWER], name="central", public_key_pem=PEM)
    with pytest.raises(Exception, match=r"bundle\.trust"):
        registry.trust_installation(actor=world.actors[R.PLATFORM_ADMIN], name="x", public_key_pem=PEM)
    registry.revoke_trust(actor=world.actors[R.SECURITY_REVIEWER], key_id=trusted.key_id, reason="rotated")
    with pytest.raises(Exception, match="revoked already"):
        registry.revoke_trust(actor=world.actors[R.SECURITY_REVIEWER], key_id=trusted.key_id, reason="again")
    again = registry.trust_installation(actor=world.actors[R.SECURITY_REVIEWER], name="central", public_key_pem=PEM)
    assert again.revoked_at is None


@pytest.mark.django_db
def test_a_listed_site_carries_the_etag_an_edit_sends(world: World) -> None:
    client = client_for(world.users[R.PLATFORM_ADMIN])
    site = _site(world)
    listed = {s["name"]: s for s in client.get("/api/v1/sites/").json()}["vault-north"]
    assert listed["etag"] == client.get(f"/api/v1/sites/{site.pk}/")["ETag"] == site.etag
    done = client.patch(
        f"/api/v1/sites/{site.pk}/", {"title": "Vault North"}, format="json", HTTP_IF_MATCH=listed["etag"]
    )
    assert done.status_code == 200, done.content
    assert done.json()["etag"] == done["ETag"] != listed["etag"]
