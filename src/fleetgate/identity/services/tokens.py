"""Writes to API tokens. A person mints tokens for themselves; a Platform Admin also for service
accounts (which hold no human role), never for another person: one person, one set of hands."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.config import settings as cfg
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import InvalidTransition
from fleetgate.core.lookups import locked
from fleetgate.core.validation import Issues
from fleetgate.identity import queries
from fleetgate.identity.models import ApiToken
from fleetgate.identity.services.common import is_host
from fleetgate.identity.sod import Refused, recording_refusals

User = get_user_model()
MAX_TOKEN_DAYS = 365


def create_token(*, actor: Actor, user_id: int, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Returns the token row and the plaintext, which is shown once and never stored."""
    days = cfg.token_default_days if days is None else days
    issues = Issues()
    if not name.strip():
        issues.add("name", "required", "Name the token after where it will be used, e.g. 'ci-pipeline'.")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        issues.add("days", "range", f"Tokens expire after 1 to {MAX_TOKEN_DAYS} days.")
    issues.raise_if_any()
    with recording_refusals(actor), transaction.atomic():
        user = locked(User, user_id, "user")
        if actor.user_pk != user.pk:
            permissions.require(actor, "token.manage")
            if not is_host(actor) and not queries.is_service_account(user):
                raise Refused(
                    f"A token for {user.username} would let you act as them: {user.username} creates their own "
                    "token, signed in as themselves; a Platform Admin creates tokens only for service accounts.",
                    rule="own-tokens-only",
                    subject_type="user",
                    subject_id=user.pk,
                    attempted="token.create",
                )
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user,
            name=name,
            key_id=key_id,
            secret_hash=ApiToken.hash_secret(secret),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit.record(
            actor=actor, action="token.created", subject_type="api_token", subject_id=token.pk, after=token.snapshot()
        )
    return token, f"fg_{key_id}_{secret}"


def revoke_token(*, actor: Actor, token_id: int, reason: str = "") -> ApiToken:
    with transaction.atomic():
        token = locked(ApiToken, token_id, "token")
        if actor.user_pk != token.user_id:
            permissions.require(actor, "token.manage")
        if token.revoked_at is not None:
            raise InvalidTransition("Token is already revoked.", state="revoked", action="revoke")
        before = token.snapshot()
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action="token.revoked",
            subject_type="api_token",
            subject_id=token.pk,
            before=before,
            after=token.snapshot(),
            reason=reason,
        )
    return token
