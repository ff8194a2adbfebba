"""Password sign-in with an account lockout counted in the shared cache (Redis, else the database
cache), so every gunicorn worker sees the same count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import authenticate
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest

from fleetgate import config
from fleetgate.audit import services as audit
from fleetgate.core.actors import service
from fleetgate.core.errors import AccountLocked, LocalLoginDisabled

LOCK_AFTER = 10  # failed sign-ins ...
WINDOW = timedelta(minutes=15)  # ... within this window lock the account ...
LOCKED_FOR = timedelta(minutes=15)  # ... for this long
SHARED_CACHE = "shared"
SIGN_IN = service("sign-in", frozenset())


class WrongCredentials(Exception):
    """Username or password did not match (the caller answers 401 without saying which)."""


def _keys(username: str) -> tuple[str, str]:
    name = username.strip().lower()
    return f"fg:signin:failures:{name}", f"fg:signin:locked:{name}"


def sign_in(request: HttpRequest, *, username: str, password: str) -> Any:
    """The user on success; raises AccountLocked while locked (even with the right password) and
    WrongCredentials otherwise. The attempt that reaches the limit locks and writes a ledger event.
    With FLEETGATE_LOCAL_LOGIN=off only the break-glass account may use a password; its every sign-in is
    a critical ledger event."""
    break_glass = _require_local_login(username)
    cache = caches[SHARED_CACHE]
    failures_key, locked_key = _keys(username)
    if cache.get(locked_key):
        raise _locked(username)
    user = authenticate(request, username=username, password=password)
    if user is not None:
        cache.delete(failures_key)
        if break_glass:
            with transaction.atomic():
                audit.record(
                    actor=SIGN_IN,
                    action="user.break_glass_signed_in",
                    subject_type="user",
                    subject_id=user.pk,
                    after={"username": user.get_username()},
                    reason="password sign-in while local sign-in is switched off",
                    severity="critical",
                )
        return user
    cache.add(failures_key, 0, timeout=int(WINDOW.total_seconds()))
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # expired between add and incr: this is the first failure of a new window
        cache.set(failures_key, 1, timeout=int(WINDOW.total_seconds()))
        failures = 1
    if failures < LOCK_AFTER:
        raise WrongCredentials
    cache.set(locked_key, True, timeout=int(LOCKED_FOR.total_seconds()))
    cache.delete(failures_key)
    with transaction.atomic():
        audit.record(
            actor=SIGN_IN,
            action="user.locked_out",
            subject_type="sign_in",
            subject_id=username,
            after={"failures": failures, "window_minutes": WINDOW.seconds // 60, "locked_minutes": _minutes()},
            reason=f"{failures} failed sign-ins within {WINDOW.seconds // 60} minutes",
            severity="warning",
        )
    raise _locked(username)


def _require_local_login(username: str) -> bool:
    """True when this is the break-glass account signing in while local sign-in is off."""
    if config.settings.local_login:
        return False
    named = config.settings.break_glass_username
    if named and username.strip().lower() == named.lower():
        return True
    raise LocalLoginDisabled(
        "Password sign-in is switched off on this server: use the single sign-on button. Only the break-glass "
        "administrator account may still sign in with a password."
    )


def _minutes() -> int:
    return LOCKED_FOR.seconds // 60


def _locked(username: str) -> AccountLocked:
    return AccountLocked(
        f"Sign-in for '{username}' is locked for {_minutes()} minutes after {LOCK_AFTER} failed attempts. "
        "Wait, or ask a Platform Admin to check the ledger (user.locked_out) if this was not you.",
        retry_after=int(LOCKED_FOR.total_seconds()),
    )


def unlock(username: str) -> None:
    """For the host operator (and tests): forget the failures and the lock of one username."""
    for key in _keys(username):
        caches[SHARED_CACHE].delete(key)
