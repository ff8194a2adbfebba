"""Reads of risk: rubric versions, assessments, and the snapshot an evidence pack seals."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from fleetgate.core.actors import Actor
from fleetgate.core.scoping import INTENT, scoped
from fleetgate.risk.models import ModelState, RiskAssessment, RiskModel, Role


def models_() -> QuerySet[RiskModel]:
    return RiskModel.objects.select_related("proposed_by", "approved_by", "rejected_by")


def active_model() -> RiskModel:
    row = RiskModel.objects.filter(state=ModelState.ACTIVE).first()
    if row is None:
        raise RuntimeError("No active risk rubric; run `fleetgate migrate` to load the defaults.")
    return row


def parallel_model() -> RiskModel | None:
    return RiskModel.objects.filter(state=ModelState.PARALLEL).first()


def assessments(actor: Actor | None = None) -> QuerySet[RiskAssessment]:
    qs = RiskAssessment.objects.select_related("intent", "risk_model", "created_by", "artifact")
    return scoped(actor, qs, INTENT.via("intent"))


def latest(intent_id: Any) -> RiskAssessment | None:
    return assessments().filter(intent_id=intent_id, role=Role.PRIMARY).order_by("-created_at").first()


def pack_snapshot(*, intent_id: UUID) -> dict[str, Any] | None:
    """What an evidence pack seals about risk: the latest primary assessment and its parallel twin."""
    row = latest(intent_id)
    if row is None:
        return None
    twin = row.parallel.first()
    return {**row.snapshot(), "parallel": twin.snapshot() if twin else None}
