"""The refusals of single sign-on, each one RFC 9457 problem type with a stable code; `check` names
the failed check of an id_token so the UI and a log reader can say exactly what was wrong."""

from __future__ import annotations

from fleetgate.core.errors import DomainError, Forbidden


class SsoNotConfigured(DomainError):
    status, code, title = 404, "sso-not-configured", "Single sign-on is not configured"


class SsoInvalidState(DomainError):
    status, code, title = 400, "sso-invalid-state", "The sign-in response does not belong to a sign-in started here"


class SsoInvalidToken(DomainError):
    """`check` is one of: malformed, signature, issuer, audience, tenant, nonce, nonce-replay, expired,
    not-yet-valid, issued-at, subject, claims."""

    status, code, title = 401, "sso-invalid-token", "The identity provider's token was refused"


class SsoDenied(DomainError):
    status, code, title = 401, "sso-denied", "The identity provider did not sign you in"


class SsoProviderError(DomainError):
    status, code, title = 502, "sso-provider-error", "The identity provider could not be reached or answered wrongly"


class SsoAccountDisabled(Forbidden):
    code, title = "sso-account-disabled", "This account is deactivated in Fleetgate"
