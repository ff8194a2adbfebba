"""What steers rollouts over HTTP: incidents, maintenance windows and blackouts, and the change freeze.
Thin: each action parses, calls one service and serialises (the rollouts themselves are in `api.py`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fleetgate.api.base import ResourceViewSet, StrictSerializer, actor_of
from fleetgate.core import permissions
from fleetgate.core.errors import NotFound
from fleetgate.core.scoping import reader
from fleetgate.rollouts import queries
from fleetgate.rollouts.api import ActionSerializer, _paged_by
from fleetgate.rollouts.models import Incident, MaintenanceWindow
from fleetgate.rollouts.services import calendars, incidents


class IncidentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    intent_name = serializers.CharField(source="intent.name", default="", read_only=True)
    intent_title = serializers.CharField(source="intent.title", default="", read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "intent",
            "intent_name",
            "intent_title",
            "artifact",
            "priority",
            "security",
            "title",
            "description",
            "external_ticket",
            "state",
            "boundary",
            "business_unit",
            "opened_by",
            "opened_at",
            "resolved_at",
            "resolution",
        ]


class IncidentWriteSerializer(StrictSerializer):
    intent = serializers.UUIDField(required=False, allow_null=True)
    artifact = serializers.UUIDField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=["P0", "P1", "P2", "P3", "P4"])
    security = serializers.BooleanField(required=False, default=False)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)
    external_ticket = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)


class ResolveSerializer(StrictSerializer):
    resolution = serializers.CharField(max_length=2000)


class IncidentViewSet(mixins.ListModelMixin, ResourceViewSet):
    view_permission = "incident.view"
    pagination_class = _paged_by("-opened_at")
    serializer_class = IncidentSerializer
    filterset_fields = ["intent", "state", "priority"]

    def get_queryset(self) -> Any:
        return queries.incidents(reader(self))

    def retrieve(self, request: Request, pk: str) -> Response:
        row = self.get_queryset().filter(pk=pk).first()
        if row is None:
            raise NotFound(f"No incident {pk}.")
        return Response(IncidentSerializer(row).data)

    @extend_schema(request=IncidentWriteSerializer, responses={201: IncidentSerializer})
    def create(self, request: Request) -> Response:
        body = IncidentWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = {k: (str(v) if k in ("intent", "artifact") and v else v) for k, v in body.validated_data.items()}
        row = incidents.create(actor=self.actor, data=data)
        return Response(IncidentSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ResolveSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        body = ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = incidents.resolve(actor=self.actor, incident_id=pk, resolution=body.validated_data["resolution"])
        return Response(IncidentSerializer(row).data)


class WindowSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "name",
            "kind",
            "boundary",
            "business_unit",
            "site_class",
            "timezone",
            "starts_local",
            "duration_minutes",
            "rrule",
            "active",
            "created_at",
        ]


class WindowWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=MaintenanceWindow.Kind.choices)
    boundary = serializers.CharField(max_length=64)
    business_unit = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    site_class = serializers.CharField(max_length=16, required=False, default="", allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False, default="UTC")
    starts_local = serializers.CharField(max_length=19, help_text="First occurrence, wall time: 2026-12-05T22:00")
    duration_minutes = serializers.IntegerField()
    rrule = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class WindowViewSet(mixins.ListModelMixin, ResourceViewSet):
    view_permission = "window.view"
    serializer_class = WindowSerializer
    filterset_fields = ["boundary", "kind", "active"]

    def get_queryset(self) -> Any:
        return queries.windows(reader(self))

    @extend_schema(request=WindowWriteSerializer, responses={201: WindowSerializer})
    def create(self, request: Request) -> Response:
        body = WindowWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = calendars.create_window(actor=self.actor, data=dict(body.validated_data))
        return Response(WindowSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ActionSerializer, responses=WindowSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str) -> Response:
        body = ActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = calendars.deactivate_window(actor=self.actor, window_id=pk, reason=body.validated_data["reason"])
        return Response(WindowSerializer(row).data)


class FreezeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    active = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    started_at = serializers.DateTimeField(allow_null=True)
    started_by = serializers.CharField(allow_blank=True)


class FreezeWriteSerializer(StrictSerializer):
    active = serializers.BooleanField()
    reason = serializers.CharField(max_length=2000)


def _freeze_state() -> dict[str, Any]:
    freeze = queries.active_freeze()
    if freeze is None:
        return {"active": False, "reason": "", "started_at": None, "started_by": ""}
    return {
        "active": True,
        "reason": freeze.reason,
        "started_at": freeze.started_at,
        "started_by": freeze.started_by.get_username(),
    }


class FreezeView(APIView):
    """GET the global change freeze; POST {active, reason} turns it on or off (Platform Admin)."""

    @extend_schema(responses=FreezeSerializer, operation_id="change_freeze_read")
    def get(self, request: Request) -> Response:
        permissions.require(actor_of(request), "rollout.view")
        return Response(FreezeSerializer(_freeze_state()).data)

    @extend_schema(request=FreezeWriteSerializer, responses=FreezeSerializer, operation_id="change_freeze_set")
    def post(self, request: Request) -> Response:
        body = FreezeWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        switch = calendars.freeze_on if body.validated_data["active"] else calendars.freeze_off
        switch(actor=actor_of(request), reason=body.validated_data["reason"])
        return Response(FreezeSerializer(_freeze_state()).data)
