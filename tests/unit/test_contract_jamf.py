"""Contract: the published Jamf Pro client (`jamf-pro-sdk`) against the Jamf simulator, side by
side with Fleetgate's connector. What the connector sends must be a request the SDK also produces,
and what the simulator answers must parse into the SDK's models (its pydantic records)."""

from __future__ import annotations

import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import requests
from jamf_pro_sdk import ApiClientCredentialsProvider, JamfProClient, SessionConfig, UserCredentialsProvider
from jamf_pro_sdk.clients.pro_api.pagination import FilterField, SortField
from jamf_pro_sdk.models.client import Schemes

from fleetgate.connectors.base import Connector, IntentRef
from fleetsim.server import Running
from tests.fixtures.connectors.support import CANARY, INTENT, LAB, FakeClock, artifact, connector_for, serving

DAY = 86400.0
UNINSTALL = IntentRef("intent-1", "firefox-finance", "lab", action="uninstall")


def sdk(srv: Running, *, user: bool = False) -> JamfProClient:
    creds = srv.app.credentials
    provider = (
        UserCredentialsProvider(creds.client_id, creds.client_secret)
        if user
        else ApiClientCredentialsProvider(creds.client_id, creds.client_secret)
    )
    host, port = urlsplit(srv.url).hostname, urlsplit(srv.url).port
    return JamfProClient(str(host), provider, port=int(port or 80), session_config=SessionConfig(scheme=Schemes.http))


def _query(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query)


def test_sdk_reads_the_package_the_connector_published(tmp_path: Path) -> None:
    with serving("jamf") as srv:
        connector = connector_for(srv.app)
        app = connector.publish(artifact(tmp_path), "k-publish")
        packages = sdk(srv).pro_api.get_packages_v1()  # validates every record against the SDK's Package model
        ours = [p for p in packages if p.id == app.external_id]
        assert len(ours) == 1
        assert ours[0].notes == connector.marker("k-publish")
        assert ours[0].packageName == "Firefox ESR 128.6.0"
        assert ours[0].size == str(len(b"".join(artifact(tmp_path).chunks())))  # the upload reached the package


@pytest.mark.parametrize("user", [False, True])
def test_sdk_tokens_oauth_and_user_bearer(user: bool) -> None:
    with serving("jamf") as srv:
        client = sdk(srv, user=user)
        assert client.pro_api.get_packages_v1() == []
        path = "/api/v1/auth/token" if user else "/api/v1/oauth/token"
        assert ("POST", path) in srv.app.requests


def test_observe_reads_inventory_in_pages_and_policy_logs_only_for_undecided_macs(tmp_path: Path) -> None:
    with serving("jamf") as srv:
        sim, connector = srv.app, connector_for(srv.app)
        sim.fleet.configure_group("FG-CANARY", success_rate=0.8, not_applicable_rate=0.0)
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, CANARY, INTENT, "a")
        sim.advance(30 * DAY)
        sim.requests.clear()
        observed = connector.observe(app, CANARY)
        assert (observed.total, observed.pending) == (30, 0)
        assert observed.failed > 0
        histories = [p for _, p in sim.requests if "/computerhistory/" in p]
        assert len(histories) == observed.failed  # one log read per failed Mac, none for the installed ones
        inventory = [p for _, p in sim.requests if p.startswith("/api/v3/computers-inventory")]
        assert len(inventory) == 3  # 30 Macs, 10 a page (the connector's page_size)

        # The very request the connector sent, produced by the SDK: same parameters, same answer.
        sent = _query(inventory[0])
        ids = sent["filter"][0].removeprefix("id=in=(").removesuffix(")").split(",")
        sim.requests.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # v3, not the deprecated v1 endpoint
            computers = sdk(srv).pro_api.get_computer_inventory_v3(
                sections=["GENERAL", "APPLICATIONS"],
                page_size=len(ids),
                sort_expression=SortField("id").asc(),
                filter_expression=FilterField("id").is_in(ids),
            )
        by_sdk = _query(next(p for _, p in sim.requests if p.startswith("/api/v3/computers-inventory")))
        assert by_sdk == sent
        page = set(ids)
        expected = sum(1 for d in observed.detail_pages for x in d.devices if x.device_id in page)
        assert len(computers) == len(ids)
        installed = [
            c
            for c in computers
            if any(a.name == "Firefox ESR.app" and a.version == "128.6.0" for a in c.applications or [])
        ]
        assert len(installed) == len(ids) - expected  # the Macs of this page not listed as undone
        assert all(c.general is not None and c.general.reportDate is not None for c in computers)


def test_an_uninstall_removes_the_app_from_the_inventory(tmp_path: Path) -> None:
    with serving("jamf") as srv:
        sim, connector = srv.app, connector_for(srv.app)
        sim.fleet.configure_group("FG-LAB", success_rate=1.0, not_applicable_rate=0.0, latency_s=60)
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, LAB, INTENT, "a-install")
        sim.advance(120)
        client = sdk(srv)
        apps = [
            a.name
            for c in client.pro_api.get_computer_inventory_v3(sections=["APPLICATIONS"])
            for a in c.applications or []
        ]
        assert apps.count("Firefox ESR.app") == 8
        connector.retire(app, LAB, "r")  # retiring the policy alone removes nothing from the Macs
        sim.advance(120)
        apps = [
            a.name
            for c in client.pro_api.get_computer_inventory_v3(sections=["APPLICATIONS"])
            for a in c.applications or []
        ]
        assert apps.count("Firefox ESR.app") == 8
        connector.assign(app, LAB, UNINSTALL, "a-uninstall")  # the rollback plan's uninstall policy
        sim.advance(120)
        apps = [
            a.name
            for c in client.pro_api.get_computer_inventory_v3(sections=["APPLICATIONS"])
            for a in c.applications or []
        ]
        assert apps.count("Firefox ESR.app") == 0
        observed = connector.observe(app, LAB)
        assert (observed.action, observed.not_installed) == ("uninstall", 8)


def test_a_malformed_filter_is_refused_with_the_jamf_error_body() -> None:
    with serving("jamf") as srv:
        client = sdk(srv)
        with pytest.raises(requests.HTTPError) as caught:
            client.pro_api_request("get", "v3/computers-inventory", query_params={"filter": "id=gt"})
        body = caught.value.response.json()
        assert body["httpStatus"] == 400
        assert body["errors"][0]["code"] == "INVALID_RSQL_FILTER"


def _user_connector(srv: Running, clock: FakeClock | None = None) -> Connector:
    creds = srv.app.credentials
    return connector_for(
        srv.app,
        clock=clock,
        settings={"auth": "user", "username": creds.client_id},
        secrets={"password": creds.client_secret},
    )


def test_user_bearer_mode_signs_in_with_basic_and_renews_with_keep_alive(tmp_path: Path) -> None:
    with serving("jamf") as srv:
        clock = FakeClock()
        connector = _user_connector(srv, clock)
        connector.check()
        app = connector.publish(artifact(tmp_path), "k")
        assert app.external_id
        signed_in = [p for m, p in srv.app.requests if m == "POST" and "/auth/" in p]
        assert signed_in == ["/api/v1/auth/token"]  # one token for every call while it is fresh
        first = connector._token
        clock.now += 1800 - 30  # under a minute left: keep-alive renews it (as jamf-pro-sdk does)
        connector.check()
        assert [p for m, p in srv.app.requests if m == "POST" and "/auth/" in p][-1] == "/api/v1/auth/keep-alive"
        assert connector._token != first
        refused = httpx.get(f"{srv.url}/api/v1/jamf-pro-version", headers={"Authorization": f"Bearer {first}"})
        assert refused.status_code == 401  # keep-alive invalidated the old token
        clock.now += 1800  # expired: a new token with Basic again
        connector.check()
        assert [p for m, p in srv.app.requests if m == "POST" and "/auth/" in p][-1] == "/api/v1/auth/token"
        last = connector._token
        connector.close()  # the token is invalidated when the connector is done with it
        assert last not in srv.app.tokens
        assert ("POST", "/api/v1/auth/invalidate-token") in srv.app.requests


def test_an_expired_user_token_is_refused_with_the_jamf_error_body() -> None:
    with serving("jamf") as srv:
        creds = srv.app.credentials
        granted = httpx.post(f"{srv.url}/api/v1/auth/token", auth=(creds.client_id, creds.client_secret))
        assert granted.status_code == 200
        body = granted.json()
        assert set(body) == {"token", "expires"}
        assert body["expires"].endswith("Z")
        bearer = {"Authorization": f"Bearer {body['token']}"}
        assert httpx.get(f"{srv.url}/api/v1/jamf-pro-version", headers=bearer).status_code == 200
        srv.app.tokens[body["token"]] = time.time() - 1  # its 30 minutes are up
        for response in (
            httpx.get(f"{srv.url}/api/v1/jamf-pro-version", headers=bearer),
            httpx.post(f"{srv.url}/api/v1/auth/keep-alive", headers=bearer),
            httpx.post(f"{srv.url}/api/v1/auth/invalidate-token", headers=bearer),
        ):
            assert response.status_code == 401
            assert response.json()["httpStatus"] == 401
            assert response.json()["errors"][0]["code"] == "INVALID_TOKEN"
        wrong = httpx.post(f"{srv.url}/api/v1/auth/token", auth=(creds.client_id, "not-the-password"))
        assert (wrong.status_code, wrong.json()) == (401, {"httpStatus": 401, "errors": []})


def test_keep_alive_takes_user_tokens_only_and_the_sdk_renews_as_the_connector_does() -> None:
    with serving("jamf") as srv:
        creds = srv.app.credentials
        oauth = httpx.post(
            f"{srv.url}/api/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
            },
        ).json()["access_token"]
        refused = httpx.post(f"{srv.url}/api/v1/auth/keep-alive", headers={"Authorization": f"Bearer {oauth}"})
        assert refused.status_code == 401
        client = sdk(srv, user=True)
        client.pro_api.get_packages_v1()
        token = client._credentials._access_token
        client._credentials._access_token = token.model_copy(
            update={"expires": datetime.now(UTC) + timedelta(seconds=30)}
        )  # under a minute left
        client.pro_api.get_packages_v1()
        assert ("POST", "/api/v1/auth/keep-alive") in srv.app.requests
        assert token.token not in srv.app.tokens
