"""Identity data: role bindings on Django users, role-grant requests (dual control), service accounts,
API tokens (hashed at rest) and each person's display preferences (time zone).

RoleBinding and ApiToken moved here from `core`; they keep their tables (`core_rolebinding`,
`core_apitoken`), so existing installations migrate without copying a row.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.utils import timezone

from fleetgate.core.roles import Role
from fleetgate.identity.states import GrantState


class RoleBinding(models.Model):
    """One role held by one user over one acquisition boundary and a set of business units."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_bindings")
    role = models.CharField(max_length=32, choices=Role.choices)
    boundary = models.CharField(max_length=64, default="*")
    business_units = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when a second Platform Admin approved the grant over the API. Such a deciding role decides
    # only on changes opened after `created_at`. Host-path grants (the operator, seed-demo) carry none.
    grant_request = models.ForeignKey(
        "identity.RoleGrantRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "core_rolebinding"
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "boundary"], name="uniq_role_binding"),
        ]

    def as_dict(self) -> dict[str, object]:
        return {"role": self.role, "boundary": self.boundary, "business_units": sorted(self.business_units)}


class ServiceAccount(models.Model):
    """Marks a user as a non-human account (a CI pipeline, a scraper). It holds no human role, cannot
    sign in with a password, and is the only kind of account a Platform Admin may mint tokens for."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_account")
    description = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)


class RoleGrantRequest(models.Model):
    """Dual control for the roles that decide or administer: one Platform Admin asks, another approves."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grant_requests")
    role = models.CharField(max_length=32, choices=Role.choices)
    boundary = models.CharField(max_length=64, default="*")
    business_units = models.JSONField(default=list)
    reason = models.TextField()
    state = models.CharField(max_length=16, choices=GrantState.choices, default=GrantState.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-requested_at", "-id"]

    def grant(self) -> dict[str, object]:
        return {"role": self.role, "boundary": self.boundary, "business_units": sorted(self.business_units)}

    def snapshot(self) -> dict[str, object]:
        return {
            "id": self.pk,
            "user": self.user.get_username(),
            **self.grant(),
            "state": self.state,
            "requested_by": self.requested_by.get_username(),
            "decided_by": self.decided_by.get_username() if self.decided_by else None,
        }


class ApiToken(models.Model):
    """A bearer token `fg_<key_id>_<secret>`; only a SHA-256 of the secret is stored.

    The secret has 256 bits of entropy, so a fast hash is enough (no password stretching needed),
    and the public key_id lets us look the row up without scanning.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "core_apitoken"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, self.hash_secret(secret))

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def snapshot(self) -> dict[str, object]:
        return {
            "id": self.pk,
            "user": self.user.get_username(),
            "name": self.name,
            "key_id": self.key_id,
            "expires_at": self.expires_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


class Preferences(models.Model):
    """What a person chose for how Fleetgate shows things to them: the IANA time zone times are shown in
    (the ledger and the API keep UTC). No row: the defaults (UTC)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="preferences"
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    updated_at = models.DateTimeField(default=timezone.now)

    def snapshot(self) -> dict[str, object]:
        return {"time_zone": self.time_zone}
