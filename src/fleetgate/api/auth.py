"""API authentication: bearer tokens for programs, the session cookie (with CSRF) for the web UI."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from fleetgate.core.actors import Actor
from fleetgate.identity import queries as identity
from fleetgate.identity.models import ApiToken

# Writing last_used_at on every request would turn every read into a write; once a minute is plenty.
LAST_USED_GRANULARITY_S = 60


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        token, actor = self.resolve(raw.strip())
        request._fleetgate_actor = actor  # type: ignore[attr-defined]  # read by api.base.actor_of
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_GRANULARITY_S:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def resolve(self, raw: str) -> tuple[ApiToken, Actor]:
        """The token `raw` names and the actor it acts as (for the API, MCP and CLI); else AuthenticationFailed."""
        prefix, _, rest = raw.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != "fg" or not key_id or not secret:
            raise exceptions.AuthenticationFailed("Malformed token; expected fg_<id>_<secret>.")
        found = identity.bearer(key_id)
        if found is None or not found[0].matches(secret):
            raise exceptions.AuthenticationFailed("Unknown token.")
        token, actor = found
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("Token was revoked; create a new one.")
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("Token expired; create a new one with `fleetgate token create`.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User is deactivated.")
        return token, actor

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="fleetgate"'


class SessionAuthentication(authentication.SessionAuthentication):
    """Session cookie auth with CSRF enforced on unsafe methods (DRF's default behaviour)."""


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "fleetgate.api.auth.TokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "API token fg_<id>_<secret>"}


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "fleetgate.api.auth.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
