"""The sign-in flow at the API, against a provider the test controls: the redirect carries state, nonce
and an S256 challenge; the callback exchanges the code with the verifier; and every bad id_token is
refused with an `sso-invalid-token` problem that names the failed check."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient

from fleetgate.audit.models import LedgerEvent
from fleetgate.sso.models import ClaimKind, ExternalIdentity, GroupMapping, MappingVersion
from tests.api.sso.fake_idp import CLIENT_ID, FakeIdp

pytestmark = pytest.mark.django_db

CALLBACK = "/api/v1/auth/sso/callback/"
JSON = {"HTTP_ACCEPT": "application/json"}
PUBLISHERS = "group-publishers"


def start(client: APIClient, next_path: str = "/intents") -> str:
    response = client.get("/api/v1/auth/sso/login/", {"next": next_path})
    assert response.status_code == 302, response.content
    return str(response["Location"])


def callback(client: APIClient, code: str, state: str, **headers: Any) -> Any:
    return client.get(CALLBACK, {"code": code, "state": state}, **headers)


def sign_in(client: APIClient, idp: FakeIdp, **claims: Any) -> Any:
    code, state = idp.authorize(start(client), **claims)
    return callback(client, code, state, **JSON)


def tamper(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def refused(response: Any, check: str) -> dict[str, Any]:
    assert response.status_code == 401, response.content
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert (body["code"], body["check"]) == ("sso-invalid-token", check)
    assert body["type"] == "urn:fleetgate:problem:sso-invalid-token"
    return dict(body)


def test_options_say_whether_single_sign_on_is_on(client: APIClient, entra: FakeIdp) -> None:
    body = client.get("/api/v1/auth/sso/").json()
    assert body == {
        "sso_enabled": True,
        "display_name": "single sign-on",
        "login_url": "/api/v1/auth/sso/login/",
        "local_login": True,
        "problem": None,
    }


def test_options_without_configuration(client: APIClient) -> None:
    body = client.get("/api/v1/auth/sso/").json()
    assert (body["sso_enabled"], body["login_url"]) == (False, None)
    response = client.get("/api/v1/auth/sso/login/")
    assert (response.status_code, response.json()["code"]) == (404, "sso-not-configured")


def test_redirect_carries_state_nonce_and_s256_challenge(client: APIClient, entra: FakeIdp) -> None:
    url = urlsplit(start(client))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{entra.issuer}/authorize"
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["scope"] == "openid profile email"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256
    assert len(query["state"]) >= 20
    assert len(query["nonce"]) >= 20


def test_sign_in_links_the_oid_and_grants_the_mapped_role(client: APIClient, entra: FakeIdp) -> None:
    GroupMapping.objects.create(
        kind=ClaimKind.GROUP, value=PUBLISHERS, role="publisher", boundary="acme", business_units=["sales"]
    )
    response = sign_in(client, entra, groups=[PUBLISHERS])
    assert response.status_code == 200, response.content
    user = response.json()["user"]
    assert user["username"] == "alice@contoso.example"
    assert user["roles"] == [{"role": "publisher", "boundary": "acme", "business_units": ["sales"]}]
    link = ExternalIdentity.objects.get()
    assert (link.issuer, link.subject, link.tenant) == (
        entra.issuer,
        entra.claims("n")["oid"],
        entra.claims("n")["tid"],
    )
    # the code was exchanged with the PKCE verifier and the client secret
    request = entra.token_requests[-1]
    assert request["grant_type"] == ["authorization_code"]
    assert request["code_verifier"]
    assert client.get("/api/v1/me/").json()["roles"][0]["role"] == "publisher"
    actions = list(LedgerEvent.objects.order_by("sequence").values_list("action", flat=True))
    assert actions[-3:] == ["sso.user_provisioned", "user.roles_changed", "sso.signed_in"]


def test_browser_callback_returns_to_next_and_a_refusal_to_the_login_page(client: APIClient, entra: FakeIdp) -> None:
    code, state = entra.authorize(start(client, "/ledger?action=intent."))
    response = callback(client, code, state)
    assert (response.status_code, response["Location"]) == (302, "/ledger?action=intent.")
    client.post("/api/v1/auth/sso/logout/")
    code, state = entra.authorize(start(client), aud="another-app")
    response = callback(client, code, state)
    assert (response.status_code, response["Location"]) == (302, "/login?sso=failed")
    problem = client.get("/api/v1/auth/sso/").json()["problem"]
    assert (problem["code"], problem["check"]) == ("sso-invalid-token", "audience")
    assert "another application" in problem["detail"]
    assert client.get("/api/v1/auth/sso/").json()["problem"] is None  # shown once


def test_next_is_never_another_site(client: APIClient, entra: FakeIdp) -> None:
    code, state = entra.authorize(start(client, "//evil.example/x"))
    assert callback(client, code, state)["Location"] == "/"


def test_tampered_id_token_is_refused(client: APIClient, entra: FakeIdp) -> None:
    url = start(client)
    nonce = parse_qs(urlsplit(url).query)["nonce"][0]
    forged = tamper(entra.sign(entra.claims(nonce)), groups=["group-admins"])
    code, state = entra.authorize(url, id_token=forged)
    body = refused(callback(client, code, state, **JSON), "signature")
    assert "tampered" in body["detail"]
    assert client.get("/api/v1/auth/session/").json()["authenticated"] is False


def test_token_signed_by_a_key_the_provider_does_not_publish_is_refused(client: APIClient, entra: FakeIdp) -> None:
    entra.rotate(publish=False)
    refused(sign_in(client, entra), "signature")


def test_rotated_signing_key_is_fetched_again(client: APIClient, entra: FakeIdp) -> None:
    assert sign_in(client, entra).status_code == 200  # JWKS cached with the first key
    client.post("/api/v1/auth/sso/logout/")
    entra.rotate()
    assert sign_in(client, entra).status_code == 200


def test_wrong_audience_is_refused(client: APIClient, entra: FakeIdp) -> None:
    refused(sign_in(client, entra, aud="someone-elses-app"), "audience")


def test_wrong_issuer_is_refused(client: APIClient, entra: FakeIdp) -> None:
    refused(sign_in(client, entra, iss="https://login.example/other"), "issuer")


def test_wrong_tenant_is_refused(client: APIClient, entra: FakeIdp) -> None:
    body = refused(sign_in(client, entra, tid="00000000-dead-4000-8000-000000000000"), "tenant")
    assert "another Microsoft Entra tenant" in body["detail"]
    assert not ExternalIdentity.objects.exists()


def test_expired_token_is_refused(client: APIClient, entra: FakeIdp) -> None:
    now = int(time.time())
    refused(sign_in(client, entra, iat=now - 7200, exp=now - 3600), "expired")


def test_clock_skew_within_the_leeway_is_accepted(client: APIClient, entra: FakeIdp) -> None:
    now = int(time.time())
    assert sign_in(client, entra, iat=now - 700, exp=now - 30).status_code == 200  # leeway 60 s


def test_token_from_the_future_is_refused(client: APIClient, entra: FakeIdp) -> None:
    now = int(time.time())
    refused(sign_in(client, entra, iat=now + 600, exp=now + 1200), "issued-at")


def test_nonce_of_another_sign_in_is_refused(client: APIClient, entra: FakeIdp) -> None:
    refused(sign_in(client, entra, nonce="a-nonce-this-browser-never-sent"), "nonce")


def test_replayed_nonce_is_refused(client: APIClient, entra: FakeIdp) -> None:
    url = start(client)
    code, state = entra.authorize(url)
    first = entra.codes[code].id_token
    assert callback(client, code, state, **JSON).status_code == 200
    other = APIClient()
    code, state = entra.authorize(start(other), id_token=first)  # the same id_token, for a new sign-in
    body = refused(callback(other, code, state, **JSON), "nonce-replay")
    assert "already used" in body["detail"]


def test_same_state_twice_is_refused(client: APIClient, entra: FakeIdp) -> None:
    code, state = entra.authorize(start(client))
    assert callback(client, code, state, **JSON).status_code == 200
    response = callback(client, code, state, **JSON)
    assert (response.status_code, response.json()["code"]) == (400, "sso-invalid-state")


def test_callback_without_a_started_sign_in_is_refused(client: APIClient, entra: FakeIdp) -> None:
    response = callback(client, "some-code", "some-state", **JSON)
    assert (response.status_code, response.json()["code"], response.json()["check"]) == (
        400,
        "sso-invalid-state",
        "state",
    )


def test_wrong_pkce_verifier_is_refused_by_the_provider(client: APIClient, entra: FakeIdp) -> None:
    code, state = entra.authorize(start(client))
    entra.codes[code].challenge = "not-the-challenge"
    response = callback(client, code, state, **JSON)
    assert (response.status_code, response.json()["code"], response.json()["check"]) == (
        502,
        "sso-provider-error",
        "token-exchange",
    )


def test_provider_error_is_a_plain_refusal(client: APIClient, entra: FakeIdp) -> None:
    start(client)
    response = client.get(CALLBACK, {"error": "access_denied", "error_description": "not assigned"}, **JSON)
    body = response.json()
    assert (response.status_code, body["code"], body["check"]) == (401, "sso-denied", "access_denied")
    assert "not assigned" in body["detail"]


def test_groups_overage_is_resolved_through_graph(client: APIClient, entra: FakeIdp) -> None:
    GroupMapping.objects.create(kind=ClaimKind.GROUP, value=PUBLISHERS, role="publisher", boundary="acme")
    overage = {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": "https://graph.x"}}}
    response = sign_in(client, entra, groups=None, graph_groups=["other", PUBLISHERS], **overage)
    assert response.status_code == 200, response.content
    assert [r["role"] for r in response.json()["user"]["roles"]] == ["publisher"]
    assert entra.graph_calls == [f"/v1.0/users/{entra.claims('n')['oid']}/getMemberObjects"]
    assert ExternalIdentity.objects.get().groups == sorted(["other", PUBLISHERS])


def test_groups_overage_when_graph_refuses_fails_closed(client: APIClient, entra: FakeIdp) -> None:
    response = sign_in(client, entra, groups=None, hasgroups=True)  # no Graph answer for this token
    body = response.json()
    assert (response.status_code, body["code"], body["check"]) == (502, "sso-provider-error", "graph-overage")
    assert client.get("/api/v1/auth/session/").json()["authenticated"] is False


def test_app_roles_map_like_groups(client: APIClient, entra: FakeIdp) -> None:
    GroupMapping.objects.create(kind=ClaimKind.APP_ROLE, value="Fleetgate.Auditor", role="auditor")
    response = sign_in(client, entra, roles=["Fleetgate.Auditor"])
    assert [r["role"] for r in response.json()["user"]["roles"]] == ["auditor"]


def test_rp_initiated_logout_hands_back_the_end_session_url(client: APIClient, entra: FakeIdp) -> None:
    code, state = entra.authorize(start(client))
    id_token = entra.codes[code].id_token
    callback(client, code, state, **JSON)
    body = client.post("/api/v1/auth/sso/logout/").json()
    url = urlsplit(body["end_session_url"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{entra.issuer}/logout"
    assert query["id_token_hint"] == id_token
    assert query["post_logout_redirect_uri"] == "http://testserver/login"
    assert query["client_id"] == CLIENT_ID
    assert client.get("/api/v1/auth/session/").json()["authenticated"] is False


def test_deactivated_user_cannot_sign_in(client: APIClient, entra: FakeIdp) -> None:
    assert sign_in(client, entra).status_code == 200
    client.post("/api/v1/auth/sso/logout/")
    ExternalIdentity.objects.get().user.__class__.objects.update(is_active=False)
    response = sign_in(APIClient(), entra)
    assert (response.status_code, response.json()["code"]) == (403, "sso-account-disabled")


def test_discovery_naming_another_issuer_is_refused(client: APIClient, configure: Any, fake_idp: FakeIdp) -> None:
    configure(issuer=f"http://localhost:{fake_idp.port}", client_id=CLIENT_ID, redirect_uri="http://testserver/cb")
    response = client.get("/api/v1/auth/sso/login/", **JSON)
    assert (response.status_code, response.json()["check"]) == (502, "discovery-issuer")


def test_unreachable_provider_is_a_provider_error(client: APIClient, configure: Any) -> None:
    configure(issuer="http://127.0.0.1:9", client_id=CLIENT_ID, redirect_uri="http://testserver/cb", timeout_seconds=2)
    response = client.get("/api/v1/auth/sso/login/", **JSON)
    assert (response.status_code, response.json()["code"], response.json()["check"]) == (
        502,
        "sso-provider-error",
        "discovery",
    )
    assert client.post("/api/v1/auth/sso/logout/").status_code in (401, 403)


def test_graph_answer_without_a_list_fails_closed(client: APIClient, entra: FakeIdp) -> None:
    response = sign_in(client, entra, groups=None, hasgroups=True, graph_groups={"not": "a list"})
    assert (response.status_code, response.json()["check"]) == (502, "graph-overage")


def test_a_session_whose_link_is_gone_ends_at_the_next_request(client: APIClient, entra: FakeIdp) -> None:
    assert sign_in(client, entra).status_code == 200
    ExternalIdentity.objects.all().delete()
    MappingVersion.objects.update_or_create(pk=1, defaults={"version": 99})  # the mapping moved meanwhile
    assert client.get("/api/v1/auth/session/").json()["authenticated"] is False
