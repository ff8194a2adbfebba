"""The OpenID Connect relying party: authorization code flow with PKCE (S256), on Authlib.

Authlib (pinned in pyproject) does the protocol: discovery (`<issuer>/.well-known/openid-configuration`),
the authorization URL with state, nonce and the S256 code challenge, the code exchange with the code
verifier, and the id_token checks: signature against the provider's JWKS (fetched again when a token
names a key id it does not hold, which is how a key rotation arrives), `iss`, `aud`, `azp`, `exp`,
`iat`/`nbf` with a leeway for clock skew, `nonce` and `at_hash`. Here on top:

- every failed check becomes one `sso-invalid-token` problem whose `check` names it;
- a nonce is good for one sign-in only (kept in the shared cache, so every worker sees it);
- Entra: `tid` must equal the configured tenant, and a groups overage is resolved through Microsoft
  Graph. Entra leaves the groups out of a token past 200 of them and marks it with `_claim_names.groups`
  (or `hasgroups` in the implicit flow) instead; the application then asks Graph for the full list
  (https://learn.microsoft.com/azure/active-directory/hybrid/how-to-connect-fed-group-claims,
  https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/get-signed-in-users-groups-in-access-token).
  The overage claim's own source URL names the retired Azure AD Graph, so the call goes to
  `POST {graph}/v1.0/users/{oid}/getMemberObjects` with `securityEnabledOnly: false`, which lists the
  group ids the user is a transitive member of, with the signed-in user's delegated token
  (https://learn.microsoft.com/graph/api/directoryobject-getmemberobjects). `tid` and `oid` are as in
  https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.base_client import FrameworkIntegration, OAuthError
from authlib.integrations.base_client.sync_app import BaseApp, OAuth2Mixin
from authlib.integrations.base_client.sync_openid import OpenIDMixin
from authlib.integrations.httpx_client import OAuth2Client
from authlib.integrations.httpx_client._compat import httpx2  # the HTTP client Authlib's requests go through
from django.core.cache import caches
from joserfc import errors as jose

from fleetgate import config
from fleetgate.config import OidcConfig
from fleetgate.sso.errors import SsoInvalidToken, SsoNotConfigured, SsoProviderError

METADATA_TTL_S = 3600  # discovery is read again after an hour (a new JWKS URI, new endpoints)
NONCE_TTL_S = 24 * 3600  # longer than any id_token lives, so a used nonce is remembered while it matters
SHARED_CACHE = "shared"
# What a provider that is down, slow or answering garbage raises, from Authlib's client or ours.
UNREACHABLE = (httpx.HTTPError, httpx2.HTTPError, OSError, ValueError)


def settings() -> OidcConfig:
    """Read at call time, so a test (or a reload) that replaces `config.settings` is seen."""
    return config.settings.oidc


def require_enabled() -> OidcConfig:
    oidc = settings()
    if not oidc.enabled:
        raise SsoNotConfigured(
            "Single sign-on is not set up on this server; sign in with your username and password, or ask "
            "a Platform Admin to set up the identity provider."
        )
    return oidc


class _Integration(FrameworkIntegration):
    """Authlib wants a framework: Fleetgate keeps the sign-in state itself (in the session) and never
    refreshes tokens, so nothing is stored through it."""

    def update_token(self, token: Any, refresh_token: Any = None, access_token: Any = None) -> None:
        return None

    @staticmethod
    def load_config(oauth: Any, name: str, params: Any) -> None:
        return None


class _App(OAuth2Mixin, OpenIDMixin, BaseApp):  # type: ignore[misc]
    client_cls = OAuth2Client


_apps: dict[OidcConfig, _App] = {}


def _app(oidc: OidcConfig) -> _App:
    """One client per configuration and process; its discovery document and JWKS are cached on it."""
    app = _apps.get(oidc)
    loaded = app.server_metadata.get("_loaded_at", 0) if app else 0
    if app is None or time.time() - loaded > METADATA_TTL_S:
        app = _App(
            _Integration("fleetgate"),
            name="fleetgate",
            client_id=oidc.client_id,
            client_secret=oidc.client_secret,
            server_metadata_url=f"{oidc.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": oidc.scopes,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_post",
                "timeout": oidc.timeout_seconds,
            },
        )
        _apps.clear()
        _apps[oidc] = app
    return app


def _provider_failed(what: str, exc: Exception) -> SsoProviderError:
    return SsoProviderError(
        f"The identity provider did not answer {what} ({exc}). Try signing in again in a minute; if it goes on, "
        "ask a Platform Admin to check that the provider is reachable from Fleetgate.",
        check=what,
    )


def _metadata(oidc: OidcConfig) -> dict[str, Any]:
    try:
        metadata: dict[str, Any] = _app(oidc).load_server_metadata()
    except UNREACHABLE as exc:
        _apps.clear()
        raise _provider_failed("discovery", exc) from exc
    if metadata.get("issuer", "").rstrip("/") != oidc.issuer:
        _apps.clear()
        raise SsoProviderError(
            f"The provider's discovery document names issuer {metadata.get('issuer')!r}, not the configured "
            f"{oidc.issuer!r}; ask a Platform Admin to correct the configured issuer.",
            check="discovery-issuer",
        )
    return metadata


@dataclass(frozen=True)
class Authorization:
    url: str
    state: str
    nonce: str
    code_verifier: str


def authorization(oidc: OidcConfig) -> Authorization:
    """Where to send the browser: the provider's authorization endpoint with state, nonce and PKCE S256."""
    _metadata(oidc)
    rv = _app(oidc).create_authorization_url(redirect_uri=oidc.redirect_uri)
    return Authorization(url=rv["url"], state=rv["state"], nonce=rv["nonce"], code_verifier=rv["code_verifier"])


def exchange(oidc: OidcConfig, *, code: str, code_verifier: str) -> dict[str, Any]:
    """The token endpoint's answer (access_token, id_token, …) for this code and verifier."""
    _metadata(oidc)
    try:
        token: dict[str, Any] = _app(oidc).fetch_access_token(
            redirect_uri=oidc.redirect_uri, code=code, code_verifier=code_verifier
        )
    except OAuthError as exc:
        raise SsoProviderError(
            f"The identity provider refused to exchange the sign-in code ({exc.error}: "
            f"{exc.description or 'no detail'}). Start the sign-in again.",
            check="token-exchange",
        ) from exc
    except UNREACHABLE as exc:
        raise _provider_failed("at its token endpoint", exc) from exc
    if "id_token" not in token:
        raise SsoInvalidToken(
            "The provider answered without an id_token; the scopes must include openid.", check="claims"
        )
    return token


CLAIM_CHECKS = {
    "iss": "issuer",
    "aud": "audience",
    "azp": "audience",
    "nonce": "nonce",
    "exp": "expired",
    "nbf": "not-yet-valid",
    "iat": "issued-at",
    "sub": "subject",
    "at_hash": "claims",
}

SENTENCES = {
    "malformed": "the id_token is not a well-formed signed JWT",
    "signature": "its signature does not verify against the provider's published keys (a tampered or foreign token)",
    "issuer": "it was issued by another issuer than the configured one",
    "audience": "it was issued to another application (its audience is not this client id)",
    "tenant": "it comes from another Microsoft Entra tenant than the configured one",
    "nonce": "its nonce does not match the sign-in started in this browser",
    "nonce-replay": "it was already used for an earlier sign-in (a replayed token)",
    "expired": "it has expired",
    "not-yet-valid": "it is not valid yet (check the clocks of the server and the provider)",
    "issued-at": "its issue time is not valid",
    "subject": "it has no usable subject",
    "claims": "a required claim is missing or invalid",
}


def refused(check: str, claim: str | None = None) -> SsoInvalidToken:
    return SsoInvalidToken(
        f"Sign-in refused: the identity provider's token failed the {check} check: {SENTENCES[check]}. "
        "Start the sign-in again; if it keeps failing, ask a Platform Admin to check the single sign-on settings.",
        check=check,
        claim=claim,
    )


def _unverified_claims(id_token: str) -> dict[str, Any]:
    """The payload of a token whose signature was verified already (used only to tell a replay apart)."""
    try:
        payload = id_token.split(".")[1]
        data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data


def _nonce_key(nonce: str) -> str:
    return "fg:sso:nonce:" + hashlib.sha256(nonce.encode()).hexdigest()


def _seen(nonce: str) -> bool:
    return caches[SHARED_CACHE].get(_nonce_key(nonce)) is not None


def validate(oidc: OidcConfig, token: dict[str, Any], *, nonce: str) -> dict[str, Any]:
    """The id_token's claims once every check passed; else `sso-invalid-token` naming the check."""
    metadata = _metadata(oidc)
    app = _app(oidc)
    options = {
        "iss": {"essential": True, "value": metadata["issuer"]},
        "aud": {"essential": True, "value": oidc.client_id},
    }
    try:
        claims = app.parse_id_token(token, nonce=nonce, claims_options=options, leeway=oidc.leeway_seconds)
    except jose.ExpiredTokenError:
        raise refused("expired") from None
    except (jose.InvalidClaimError, jose.MissingClaimError) as exc:
        if exc.claim == "nonce" and _seen(str(_unverified_claims(token["id_token"]).get("nonce", ""))):
            raise refused("nonce-replay", "nonce") from None
        raise refused(CLAIM_CHECKS.get(exc.claim, "claims"), exc.claim) from None
    except jose.InvalidTokenError:
        raise refused("not-yet-valid") from None
    except (jose.BadSignatureError, jose.InvalidKeyIdError, jose.UnsupportedAlgorithmError, jose.MissingKeyError):
        raise refused("signature") from None
    except (jose.JoseError, ValueError, TypeError, KeyError):
        raise refused("malformed") from None
    except (httpx.HTTPError, httpx2.HTTPError, OSError) as exc:
        raise _provider_failed("with its signing keys (JWKS)", exc) from exc
    claims = dict(claims)
    if oidc.tenant_id and claims.get("tid") != oidc.tenant_id:
        raise refused("tenant", "tid")
    if not str(claims.get(oidc.subject_claim) or "").strip():
        raise refused("subject", oidc.subject_claim)
    if not caches[SHARED_CACHE].add(_nonce_key(nonce), 1, timeout=NONCE_TTL_S):
        raise refused("nonce-replay", "nonce")
    return claims


def has_groups_overage(claims: dict[str, Any], groups_claim: str) -> bool:
    names = claims.get("_claim_names")
    return (isinstance(names, dict) and groups_claim in names) or bool(claims.get("hasgroups"))


def graph_groups(oidc: OidcConfig, *, object_id: str, access_token: str) -> list[str]:
    """Every group id the user is a member of, from Microsoft Graph (the overage case)."""
    url = f"{oidc.graph_url}/v1.0/users/{object_id}/getMemberObjects"
    try:
        response = httpx.post(
            url,
            json={"securityEnabledOnly": False},
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=oidc.timeout_seconds,
        )
        response.raise_for_status()
        values = response.json().get("value")
    except (httpx.HTTPError, OSError, ValueError, AttributeError) as exc:
        raise SsoProviderError(
            f"Your groups did not fit in the sign-in token and Microsoft Graph did not list them ({exc}). "
            "Try again in a minute; if it goes on, ask a Platform Admin to check that the app registration may "
            "read group memberships (User.Read) and that Graph is reachable.",
            check="graph-overage",
        ) from exc
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise SsoProviderError(
            "Microsoft Graph answered getMemberObjects without a list of ids; sign-in cannot tell your groups.",
            check="graph-overage",
        )
    return values


def end_session_url(oidc: OidcConfig, *, id_token: str, post_logout_redirect_uri: str) -> str | None:
    """RP-initiated logout: the provider's end_session_endpoint with the id_token as hint, or None."""
    try:
        metadata = _metadata(oidc)
    except SsoProviderError:
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    rv = _app(oidc).create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token, client_id=oidc.client_id
    )
    url: str = rv["url"]
    return url
