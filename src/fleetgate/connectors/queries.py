"""Reads of the connectors domain."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fleetgate.connectors.models import ConnectorInstance, IdempotencyRecord


def connectors() -> QuerySet[ConnectorInstance]:
    return ConnectorInstance.objects.all()


def operations(connector_id: Any) -> QuerySet[IdempotencyRecord]:
    return IdempotencyRecord.objects.filter(connector_id=connector_id).order_by("-created_at", "-id")
