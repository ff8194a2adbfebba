"""A person's own account: their password and their display preferences (time zone).

Only the person acts on their own account here; nobody changes another person's password (a Platform
Admin deactivates an account instead). Changing the password signs every other browser session out:
Django keys each session to a hash of the password (`get_session_auth_hash`), so sessions opened with
the old one stop authenticating, and the view keeps the caller's own session with
`update_session_auth_hash`. API tokens are separate credentials with their own expiry and are listed and
revoked one by one; the person may also revoke all of theirs in the same change (`revoke_tokens`).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Forbidden
from fleetgate.core.lookups import locked
from fleetgate.core.validation import Issues
from fleetgate.identity import queries
from fleetgate.identity.models import Preferences

User = get_user_model()


@cache
def time_zones() -> frozenset[str]:
    """The IANA zones this installation's tz database knows (the system's, else the tzdata package)."""
    return frozenset(available_timezones())


def _own_user(actor: Actor) -> Any:
    if actor.kind != "user" or actor.user_pk is None:
        raise Forbidden(f"{actor.name} is not a person; only a signed-in person has an account to change.")
    return locked(User, actor.user_pk, "user")


def set_time_zone(*, actor: Actor, time_zone: str) -> Preferences:
    """Store the zone the person wants times shown in; one ledger event when it changes."""
    issues = Issues()
    if time_zone not in time_zones():
        issues.add(
            "time_zone",
            "iana-zone",
            f"'{time_zone}' is not an IANA time zone; pick one from the list, e.g. Europe/Berlin or UTC.",
        )
    issues.raise_if_any()
    with transaction.atomic():
        user = _own_user(actor)
        prefs, _ = Preferences.objects.select_for_update().get_or_create(user=user)
        if prefs.time_zone == time_zone:
            return prefs
        before = prefs.snapshot()
        prefs.time_zone, prefs.updated_at = time_zone, timezone.now()
        prefs.save(update_fields=["time_zone", "updated_at"])
        audit.record(
            actor=actor,
            action="user.preferences_changed",
            subject_type="user",
            subject_id=user.pk,
            before=before,
            after=prefs.snapshot(),
        )
    return prefs


def change_password(*, actor: Actor, current_password: str, new_password: str, revoke_tokens: bool = False) -> int:
    """Replace the person's password after checking the current one; returns how many of their API tokens
    were revoked (0 unless `revoke_tokens`). Neither password reaches the ledger."""
    with transaction.atomic():
        user = _own_user(actor)
        if queries.is_service_account(user) or not user.has_usable_password():
            raise Forbidden(f"{user.username} signs in without a password here, so there is none to change.")
        issues = Issues()
        if not user.check_password(current_password):
            issues.add("current_password", "wrong-password", "This is not your current password; type it again.")
        elif new_password == current_password:
            issues.add("new_password", "unchanged", "The new password is your current one; choose a different one.")
        try:
            validate_password(new_password, user=user)
        except DjangoValidationError as exc:
            issues.add("new_password", "strength", " ".join(exc.messages))
        issues.raise_if_any("The password was not changed; fix the listed fields and retry.")
        user.set_password(new_password)
        user.save(update_fields=["password"])
        revoked = 0
        if revoke_tokens:
            revoked = user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit.record(
            actor=actor,
            action="user.password_changed",
            subject_type="user",
            subject_id=user.pk,
            after={"other_sessions_signed_out": True, "tokens_revoked": revoked},
            severity="warning" if revoked else "info",
        )
    return revoked
