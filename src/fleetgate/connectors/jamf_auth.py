"""Jamf Pro sign-in for the Jamf connector (`jamf.py`, whose docstring names the endpoints and the
reference, checked 2026-12-02): OAuth client credentials, the default, or a user account's bearer
token (`settings.auth` "user", `settings.username`, `secrets.password`) kept alive as
jamf-pro-sdk's UserCredentialsProvider keeps it, and invalidated when the connector closes."""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from fleetgate.connectors.base import Connector, SchemaMismatch


def jamf_time(value: Any) -> float:
    """An ISO 8601 time of the Jamf Pro API ("2026-12-02T05:49:12.123Z") as epoch seconds; 0 if absent."""
    if not value:
        return 0.0
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise SchemaMismatch(f"jamf: time {value!r} is not ISO 8601") from exc


class JamfSignIn(Connector):
    """Bearer tokens for both Jamf APIs: from client credentials, or a user's token kept alive."""

    optional_secrets = ("password",)  # user bearer mode
    setting_choices = {"auth": ("oauth", "user")}
    KEEP_ALIVE_BELOW = 60.0  # seconds left on a user token under which keep-alive renews it

    @classmethod
    def required_for(cls, settings: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (("username",), ("password",)) if settings.get("auth") == "user" else super().required_for(settings)

    @property
    def _user_mode(self) -> bool:
        return self.config.settings.get("auth") == "user"

    def authenticate(self) -> dict[str, str]:
        if not self._user_mode:
            return super().authenticate()
        left = self._token_expires - self.runtime.clock()
        if self._token is None or left <= 5:
            self._store(self._user_token("/api/v1/auth/token", basic=True))
        elif left < self.KEEP_ALIVE_BELOW:
            self._store(self._user_token("/api/v1/auth/keep-alive", basic=False))
        return {"Authorization": f"Bearer {self._token}"}

    def _user_token(self, path: str, *, basic: bool) -> tuple[str, float]:
        """A user bearer token (new with Basic, or renewed by keep-alive) and its lifetime in seconds."""
        if basic:
            pair = f"{self.config.settings.get('username', '')}:{self.config.secrets.get('password', '')}"
            headers = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
        else:
            headers = {"Authorization": f"Bearer {self._token}"}
        response = self.request("POST", path, headers=headers, auth=False, safe=True)
        body = self.json(response)
        expires = jamf_time(self.field(body, "expires"))
        sent = response.headers.get("Date")
        now = parsedate_to_datetime(sent).timestamp() if sent else time.time()  # the server's clock
        return str(self.field(body, "token")), expires - now

    def _store(self, token: tuple[str, float]) -> None:
        self._token, self._token_expires = token[0], self.runtime.clock() + token[1]

    def close(self) -> None:
        """A user token is invalidated when the connector is done with it (Jamf keeps it otherwise)."""
        if self._user_mode and self._token is not None and not self.config.dry_run:
            # one attempt, outside the retry layer and the breaker: closing never waits out a backoff;
            # a token not invalidated expires by itself within its lifetime
            with contextlib.suppress(httpx.HTTPError):
                self.http.post("/api/v1/auth/invalidate-token", headers={"Authorization": f"Bearer {self._token}"})
            self._token = None
        super().close()

    def fetch_token(self) -> tuple[str, float]:
        body = self.json(
            self.request(
                "POST",
                "/api/v1/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": str(self.config.settings["client_id"]),
                    "client_secret": self.config.secrets.get("client_secret", ""),
                },
                auth=False,
                safe=True,
            )
        )
        return str(self.field(body, "access_token")), float(body.get("expires_in", 1199))
