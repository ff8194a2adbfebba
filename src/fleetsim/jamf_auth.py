"""Jamf Pro's sign-in, simulated: OAuth client credentials (`POST /api/v1/oauth/token`, and the
older `/api/oauth/token`) and a user account's bearer token (`POST /api/v1/auth/token` with HTTP
Basic, `POST /api/v1/auth/keep-alive`, `POST /api/v1/auth/invalidate-token`).

As the Jamf Pro API reference has it (Jamf Pro API Overview, "Bearer Tokens"; post_v1-auth-token,
post_v1-auth-keep-alive, post_v1-auth-invalidate-token, 11.14.0): a user token answers
`{"token", "expires"}` (ISO 8601, milliseconds, UTC) and lives 30 minutes; keep-alive takes a
valid user token, invalidates it and answers a new one (OAuth tokens are not kept alive);
invalidate-token answers 204; bad Basic credentials, and an expired, invalidated or unknown token,
answer 401 with the Jamf Pro API's error body (`{"httpStatus": 401, "errors": [...]}`). The user
account is the simulator's credentials (username = client_id, password = client_secret).
"""

from __future__ import annotations

import base64
import binascii
import time
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.server import json_response

USER_TOKEN_LIFETIME = 1800  # Jamf Pro's default token expiration: 30 minutes


def _errors(status: int, errors: list[dict[str, Any]]) -> Response:
    return json_response({"httpStatus": status, "errors": errors}, status)


def _invalid_token() -> Response:
    return _errors(401, [{"code": "INVALID_TOKEN", "field": None, "description": "Unauthorized", "id": "0"}])


class JamfAuth:
    """Mixed into JamfSim (which provides credentials, tokens, issue_token, token_lifetime)."""

    def auth_rules(self) -> list[Rule]:
        return [
            Rule("/api/oauth/token", methods=["POST"], endpoint="token"),
            Rule("/api/v1/oauth/token", methods=["POST"], endpoint="token"),
            Rule("/api/v1/auth/token", methods=["POST"], endpoint="user_token"),
            Rule("/api/v1/auth/keep-alive", methods=["POST"], endpoint="keep_alive"),
            Rule("/api/v1/auth/invalidate-token", methods=["POST"], endpoint="invalidate_token"),
        ]

    def token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return json_response({"error": "unsupported_grant_type"}, 400)
        if (form.get("client_id"), form.get("client_secret")) != (
            self.credentials.client_id,
            self.credentials.client_secret,
        ):
            return json_response({"error": "invalid_client"}, 401)
        return json_response(
            {
                "access_token": self.issue_token(),
                "scope": "api-role:1",
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
            }
        )

    # ---- user bearer tokens ---------------------------------------------------------------------

    def _user_grant(self) -> Response:
        token = self.issue_token()
        expires = time.time() + USER_TOKEN_LIFETIME
        with self.lock:
            self.tokens[token] = expires
            self.__dict__.setdefault("user_tokens", set()).add(token)
        stamp = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return json_response({"token": token, "expires": stamp})

    def _bearer(self, request: Request) -> str | None:
        """The request's bearer token while it is valid (not expired, not invalidated)."""
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        expires = self.tokens.get(token)
        return token if expires is not None and expires > time.time() else None

    def user_token(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        try:
            user, _, password = (
                base64.b64decode(header.removeprefix("Basic ").strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        if not header.startswith("Basic ") or (user, password) != (
            self.credentials.client_id,
            self.credentials.client_secret,
        ):
            return _errors(401, [])
        return self._user_grant()

    def keep_alive(self, request: Request) -> Response:
        token = self._bearer(request)
        if token is None or token not in self.__dict__.get("user_tokens", set()):
            return _invalid_token()
        self._drop(token)
        return self._user_grant()

    def invalidate_token(self, request: Request) -> Response:
        token = self._bearer(request)
        if token is None:
            return _invalid_token()
        self._drop(token)
        return Response(status=204)

    def _drop(self, token: str) -> None:
        with self.lock:
            self.tokens.pop(token, None)
            self.__dict__.get("user_tokens", set()).discard(token)
