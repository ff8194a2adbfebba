"""Single sign-on data: the group / app-role → role mapping (with one version counter for all of it),
the link from a provider's subject to a Fleetgate user, and the role bindings the mapping granted.

Role bindings themselves live in identity (`RoleBinding`); `MappedGrant` only remembers which of a
user's bindings came from the mapping, so a mapping change or a group removed at the provider takes
away exactly those and never a role a Platform Admin granted by hand.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from fleetgate.core.roles import Role


class ClaimKind(models.TextChoices):
    GROUP = "group", "Group"  # a value of the groups claim (an Entra group's object id)
    APP_ROLE = "app_role", "App role"  # a value of the roles claim (an Entra app role's value)


class GroupMapping(models.Model):
    """Members of `value` (a group, or holders of an app role) hold `role` over boundary + business units."""

    kind = models.CharField(max_length=16, choices=ClaimKind.choices, default=ClaimKind.GROUP)
    value = models.CharField(max_length=256)
    role = models.CharField(max_length=32, choices=Role.choices)
    boundary = models.CharField(max_length=64, default="*")
    business_units = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value", "role", "boundary"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value", "role", "boundary"], name="uniq_sso_group_mapping"),
        ]

    def grant(self) -> dict[str, object]:
        return {"role": self.role, "boundary": self.boundary, "business_units": sorted(self.business_units)}

    def snapshot(self) -> dict[str, object]:
        return {"id": self.pk, "kind": self.kind, "value": self.value, **self.grant(), "description": self.description}


class MappingVersion(models.Model):
    """One row (pk=1): bumped by every mapping edit. A single sign-on session carries the version it was
    evaluated at; a request that finds another re-evaluates the person's roles first."""

    version = models.PositiveIntegerField(default=0)


class ExternalIdentity(models.Model):
    """A person at the provider (issuer + stable subject: Entra's `oid`) linked to one Fleetgate user."""

    issuer = models.CharField(max_length=512)
    subject = models.CharField(max_length=256)
    tenant = models.CharField(max_length=64, blank=True, default="")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity")
    groups = models.JSONField(default=list)  # the last groups seen at sign-in (token or Graph)
    app_roles = models.JSONField(default=list)  # the last app roles seen at sign-in
    created_at = models.DateTimeField(default=timezone.now)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="uniq_sso_identity")]

    def snapshot(self) -> dict[str, object]:
        return {
            "issuer": self.issuer,
            "subject": self.subject,
            "tenant": self.tenant,
            "user": self.user.get_username(),
            "groups": sorted(self.groups),
            "app_roles": sorted(self.app_roles),
        }


class MappedGrant(models.Model):
    """A role binding the mapping gave this identity's user (role + boundary name the binding)."""

    identity = models.ForeignKey(ExternalIdentity, on_delete=models.CASCADE, related_name="mapped_grants")
    role = models.CharField(max_length=32, choices=Role.choices)
    boundary = models.CharField(max_length=64, default="*")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identity", "role", "boundary"], name="uniq_sso_mapped_grant")]
