"""The lifecycle of a role-grant request (dual control): data, not code."""

from __future__ import annotations

from django.db import models


class GrantState(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class GrantAction(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


TRANSITIONS: dict[tuple[GrantState, GrantAction], GrantState] = {
    (GrantState.PENDING, GrantAction.APPROVE): GrantState.APPROVED,
    (GrantState.PENDING, GrantAction.REJECT): GrantState.REJECTED,
}
