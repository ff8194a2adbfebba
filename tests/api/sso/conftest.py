"""Single sign-on test setup: the server configured against a provider, a provider the test controls
(`fake_idp`) and a real, certified one (`oidc_provider`: the npm package `oidc-provider`, started with
node on 127.0.0.1 for the session)."""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleetgate import config
from fleetgate.config import OidcConfig
from fleetgate.sso import oidc
from tests.api.sso.fake_idp import CLIENT_ID, CLIENT_SECRET, TENANT, FakeIdp

REPO = Path(__file__).resolve().parents[3]
WEB = REPO / "web"
IDP_SCRIPT = WEB / "e2e" / "fixtures" / "oidc-idp.mjs"
CALLBACK = "http://testserver/api/v1/auth/sso/callback/"
REAL_TENANT = "7b0c2d9e-1f3a-4c5b-9d6e-0f1a2b3c4d5e"
GROUP_PUBLISHERS = "3f7c9a10-0000-4000-8000-00000000b0b1"
GROUP_AUDITORS = "3f7c9a10-0000-4000-8000-00000000a0d1"
REAL_USERS = {
    "alice": {"groups": [GROUP_PUBLISHERS], "roles": []},
    "bob": {"groups": [GROUP_AUDITORS], "roles": [], "overage": True},
    "carol": {"groups": [], "roles": ["Fleetgate.Auditor"]},
}

Configure = Callable[..., OidcConfig]


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Configure]:
    """Point the server's single sign-on at a provider (and set local sign-in) for one test."""

    def apply(*, local_login: bool = True, break_glass_username: str = "", **oidc_fields: Any) -> OidcConfig:
        settings = OidcConfig(**oidc_fields)
        monkeypatch.setattr(
            config,
            "settings",
            dataclasses.replace(
                config.settings, oidc=settings, local_login=local_login, break_glass_username=break_glass_username
            ),
        )
        oidc._apps.clear()
        return settings

    yield apply
    oidc._apps.clear()


@pytest.fixture
def fake_idp() -> Iterator[FakeIdp]:
    idp = FakeIdp().start()
    yield idp
    idp.stop()


@pytest.fixture
def entra(configure: Configure, fake_idp: FakeIdp) -> FakeIdp:
    """The server set up like an Entra tenant, against the controllable provider."""
    configure(
        issuer=fake_idp.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=CALLBACK,
        tenant_id=TENANT,
        subject_claim="oid",
        graph_url=fake_idp.issuer,
        leeway_seconds=60,
    )
    return fake_idp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def install_web_packages() -> None:
    """web/'s npm packages, installed once whoever asks first (web/Makefile's stamp is written after
    npm ci has finished). The SQLite and PostgreSQL passes run at once: a half-installed node_modules
    passes a plain exists() check, so the check and the install are one step under a lock."""
    lock_path = Path(tempfile.gettempdir()) / f"fleetgate-npm-{hashlib.sha256(str(WEB).encode()).hexdigest()[:12]}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["make", "-s", "-C", str(WEB), "install"], check=True, capture_output=True)


@dataclasses.dataclass
class RealProvider:
    issuer: str
    process: subprocess.Popen[bytes]

    def set_user(self, name: str, **fields: Any) -> None:
        httpx.put(f"{self.issuer}/admin/users/{name}", json=fields, timeout=5).raise_for_status()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealProvider]:
    """The npm package oidc-provider (a certified OpenID provider) on 127.0.0.1, for the whole session."""
    install_web_packages()
    port = _free_port()
    log = tmp_path_factory.mktemp("oidc") / "idp.log"
    env = {
        **os.environ,
        "IDP_PORT": str(port),
        "IDP_CLIENT_ID": CLIENT_ID,
        "IDP_CLIENT_SECRET": CLIENT_SECRET,
        "IDP_REDIRECT_URIS": CALLBACK,
        "IDP_LOGOUT_URIS": "http://testserver/login",
        "IDP_TENANT": REAL_TENANT,
        "IDP_USERS": json.dumps(REAL_USERS),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(["node", str(IDP_SCRIPT)], cwd=WEB, env=env, stdout=out, stderr=out)
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"oidc-provider did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)
    yield RealProvider(issuer, process)
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
