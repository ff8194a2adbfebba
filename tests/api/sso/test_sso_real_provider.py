"""End to end against a real, certified OpenID provider (the npm package `oidc-provider`, started by the
fixture on 127.0.0.1): authorization code + PKCE through its own login and consent forms, discovery and
JWKS from it, Entra-like `tid` / `oid`, groups into roles, a group removed at the provider taking the role
away at the next sign-in, the groups overage resolved through its Graph stand-in (which accepts only an
access token the provider really issued), app roles, and RP-initiated logout."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from django.test import Client

from fleetgate.sso.models import ClaimKind, ExternalIdentity, GroupMapping
from tests.api.sso.conftest import (
    CALLBACK,
    GROUP_AUDITORS,
    GROUP_PUBLISHERS,
    REAL_TENANT,
    REAL_USERS,
    Configure,
    RealProvider,
)
from tests.api.sso.fake_idp import CLIENT_ID, CLIENT_SECRET

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action")
        elif tag == "input" and a.get("name"):
            self.fields[str(a["name"])] = a.get("value") or ""


def through_provider(browser: httpx.Client, url: str, username: str) -> str:
    """Follow the provider's pages as a person would: its login form, then its consent form, until it
    sends the browser back to Fleetgate's callback. Returns that callback URL."""
    for _ in range(12):
        if url.startswith(CALLBACK):
            return url
        response = browser.get(url)
        if response.is_redirect:
            url = urljoin(url, response.headers["location"])
            continue
        assert response.status_code == 200, response.text[:500]
        form = _Form()
        form.feed(response.text)
        assert form.action, response.text[:500]
        data = dict(form.fields)
        if data.get("prompt") == "login":
            data.update(login=username, password="any password")
        posted = browser.post(urljoin(url, form.action), data=data)
        assert posted.is_redirect, posted.text[:500]
        url = urljoin(url, posted.headers["location"])
    raise AssertionError(f"the provider never returned to {CALLBACK}")


def sign_in(client: Client, browser: httpx.Client, username: str) -> dict[str, Any]:
    start = client.get("/api/v1/auth/sso/login/", {"next": "/"})
    assert start.status_code == 302
    back = urlsplit(through_provider(browser, start["Location"], username))
    response = client.get(f"{back.path}?{back.query}", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def real(configure: Configure, oidc_provider: RealProvider) -> RealProvider:
    configure(
        issuer=oidc_provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=CALLBACK,
        tenant_id=REAL_TENANT,
        subject_claim="oid",
        graph_url=f"{oidc_provider.issuer}/graph",
    )
    for name, user in REAL_USERS.items():
        oidc_provider.set_user(name, **user)
    GroupMapping.objects.create(kind=ClaimKind.GROUP, value=GROUP_PUBLISHERS, role="publisher", boundary="acme")
    GroupMapping.objects.create(kind=ClaimKind.GROUP, value=GROUP_AUDITORS, role="auditor")
    GroupMapping.objects.create(kind=ClaimKind.APP_ROLE, value="Fleetgate.Auditor", role="auditor")
    return oidc_provider


def roles(session: dict[str, Any]) -> list[str]:
    return [g["role"] for g in session["user"]["roles"]]


def test_sign_in_role_from_group_and_group_removed(client: Client, real: RealProvider) -> None:
    with httpx.Client(timeout=10) as browser:
        session = sign_in(client, browser, "alice")
        assert session["authenticated"]
        assert session["user"]["username"] == "alice"
        assert roles(session) == ["publisher"]
        link = ExternalIdentity.objects.get(user__username="alice")
        assert (link.issuer, link.tenant) == (real.issuer, REAL_TENANT)
        assert link.subject == httpx.get(f"{real.issuer}/admin/users").json()["alice"]["oid"]

        real.set_user("alice", groups=[])  # removed from the group at the provider
        logout = client.post("/api/v1/auth/sso/logout/").json()
        end = urlsplit(logout["end_session_url"])
        assert f"{end.scheme}://{end.netloc}{end.path}" == f"{real.issuer}/session/end"
        page = browser.get(logout["end_session_url"])  # the provider's own "sign out?" page
        form = _Form()
        form.feed(page.text)
        done = browser.post(urljoin(str(page.url), str(form.action)), data={**form.fields, "logout": "yes"})
        assert done.is_redirect

        again = sign_in(client, browser, "alice")  # signs in anew at the provider (its session ended)
        assert roles(again) == []
        assert client.get("/api/v1/me/").json()["roles"] == []


def test_groups_overage_through_graph(client: Client, real: RealProvider) -> None:
    with httpx.Client(timeout=10) as browser:
        assert roles(sign_in(client, browser, "bob")) == ["auditor"]
    assert ExternalIdentity.objects.get(user__username="bob").groups == [GROUP_AUDITORS]


def test_app_role(client: Client, real: RealProvider) -> None:
    with httpx.Client(timeout=10) as browser:
        assert roles(sign_in(client, browser, "carol")) == ["auditor"]


def test_another_tenant_is_refused(client: Client, configure: Configure, real: RealProvider) -> None:
    configure(
        issuer=real.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=CALLBACK,
        tenant_id="00000000-0000-4000-8000-0000000000ff",
        subject_claim="oid",
    )
    with httpx.Client(timeout=10) as browser:
        start = client.get("/api/v1/auth/sso/login/")
        back = urlsplit(through_provider(browser, start["Location"], "alice"))
        response = client.get(f"{back.path}?{back.query}", HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()["check"]) == (401, "tenant")
