"""Reads of the catalog."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from fleetgate.catalog.models import Application, ApplicationVersion, Artifact


def applications() -> QuerySet[Application]:
    return Application.objects.annotate(version_count=Count("versions")).order_by("name")


def versions() -> QuerySet[ApplicationVersion]:
    return ApplicationVersion.objects.select_related("application", "created_by").prefetch_related("artifacts")


def artifacts() -> QuerySet[Artifact]:
    return Artifact.objects.select_related("version__application", "uploaded_by")
