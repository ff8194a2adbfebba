"""Reads of the catalog."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from fleetgate.catalog.models import Application, ApplicationVersion, Artifact
from fleetgate.core.actors import Actor
from fleetgate.core.scoping import APPLICATION, scoped


def applications(actor: Actor | None = None) -> QuerySet[Application]:
    qs = Application.objects.annotate(version_count=Count("versions")).order_by("name")
    return scoped(actor, qs, APPLICATION)


def versions(actor: Actor | None = None) -> QuerySet[ApplicationVersion]:
    qs = ApplicationVersion.objects.select_related("application", "created_by").prefetch_related("artifacts")
    return scoped(actor, qs, APPLICATION.via("application"))


def artifacts(actor: Actor | None = None) -> QuerySet[Artifact]:
    qs = Artifact.objects.select_related("version__application", "uploaded_by")
    return scoped(actor, qs, APPLICATION.via("version__application"))
