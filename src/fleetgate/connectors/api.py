"""Connector instances over the API: list / create / update (Platform Admin), check, operations."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer
from fleetgate.connectors import queries, services
from fleetgate.connectors.models import ConnectorInstance, IdempotencyRecord
from fleetgate.connectors.registry import KINDS
from fleetgate.core.errors import PreconditionRequired

IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=True, description="ETag from a previous read (428 without)"
)


class ConnectorWriteSerializer(StrictSerializer):
    name = serializers.SlugField(max_length=100)
    kind = serializers.CharField(max_length=16, help_text="intune, jamf, sccm, landscape or ansible")
    base_url = serializers.URLField(max_length=500)
    settings = serializers.DictField(required=False, default=dict)
    platforms = serializers.ListField(
        child=serializers.CharField(max_length=16),
        required=False,
        help_text="Platforms this plane deploys to (default: the plane's own, e.g. windows for sccm).",
    )
    boundaries = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, help_text="Boundaries served; empty: all."
    )
    secrets = serializers.DictField(
        child=serializers.CharField(max_length=4096), required=False, default=dict, write_only=True
    )
    enabled = serializers.BooleanField(required=False, default=True)
    dry_run = serializers.BooleanField(required=False, default=False)


class ConnectorUpdateSerializer(StrictSerializer):
    base_url = serializers.URLField(max_length=500, required=False)
    settings = serializers.DictField(required=False)
    platforms = serializers.ListField(child=serializers.CharField(max_length=16), required=False)
    boundaries = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    secrets = serializers.DictField(child=serializers.CharField(max_length=4096), required=False, write_only=True)
    enabled = serializers.BooleanField(required=False)
    dry_run = serializers.BooleanField(required=False)


class CircuitSerializer(serializers.Serializer):  # type: ignore[type-arg]
    state = serializers.CharField()
    consecutive_failures = serializers.IntegerField()
    opened_at = serializers.FloatField(allow_null=True)


class ConnectorSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    etag = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True, help_text="intune, jamf, sccm, landscape or ansible")
    circuit = serializers.SerializerMethodField()
    api_version = serializers.SerializerMethodField()

    class Meta:
        model = ConnectorInstance
        fields = [
            "id",
            "name",
            "kind",
            "base_url",
            "settings",
            "secret_names",
            "platforms",
            "boundaries",
            "enabled",
            "dry_run",
            "health",
            "health_detail",
            "last_checked_at",
            "circuit",
            "api_version",
            "revision",
            "etag",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(CircuitSerializer)
    def get_circuit(self, obj: ConnectorInstance) -> dict[str, Any]:
        return {
            "state": obj.circuit_state,
            "consecutive_failures": obj.circuit_failures,
            "opened_at": obj.circuit_opened_at,
        }

    @extend_schema_field(OpenApiTypes.STR)
    def get_api_version(self, obj: ConnectorInstance) -> str:
        return KINDS[obj.kind].api_version if obj.kind in KINDS else ""


class CheckRequestSerializer(StrictSerializer):
    exercise = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also publish, assign, observe, inventory and retire an inert self-test package (Platform Admin).",
    )
    ring_group = serializers.CharField(required=False, default="FG-LAB", max_length=200)


class RecordedRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    method = serializers.CharField()
    url = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    body = serializers.CharField(allow_blank=True)
    sent = serializers.BooleanField()


class CheckStepSerializer(serializers.Serializer):  # type: ignore[type-arg]
    step = serializers.CharField()
    ok = serializers.BooleanField()
    detail = serializers.JSONField()


class CheckResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    connector = ConnectorSerializer(source="instance")
    ok = serializers.BooleanField()
    health = serializers.CharField()
    detail = serializers.CharField()
    latency_ms = serializers.FloatField(allow_null=True)
    api_version = serializers.CharField()
    dry_run = serializers.BooleanField(source="instance.dry_run")
    steps = CheckStepSerializer(many=True)
    requests = RecordedRequestSerializer(
        many=True, help_text="In dry-run mode: every request, exactly as it would be sent."
    )


class OperationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    status = serializers.CharField(read_only=True, help_text="pending, succeeded or failed")

    class Meta:
        model = IdempotencyRecord
        fields = [
            "id",
            "operation",
            "key",
            "status",
            "correlation",
            "external_id",
            "result",
            "error",
            "attempts",
            "created_at",
            "updated_at",
        ]


class ConnectorViewSet(mixins.ListModelMixin, ResourceViewSet):
    serializer_class = ConnectorSerializer
    view_permission = "connector.view"
    pagination_class = None

    def get_queryset(self) -> Any:
        return queries.connectors()

    def _respond(self, instance: ConnectorInstance, code: int = status.HTTP_200_OK) -> Response:
        return Response(ConnectorSerializer(instance).data, status=code, headers={"ETag": instance.etag})

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._respond(services.get(pk))

    @extend_schema(request=ConnectorWriteSerializer, responses={201: ConnectorSerializer})
    def create(self, request: Request) -> Response:
        body = ConnectorWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(services.create(actor=self.actor, data=body.validated_data), status.HTTP_201_CREATED)

    @extend_schema(request=ConnectorUpdateSerializer, responses=ConnectorSerializer, parameters=[IF_MATCH])
    def partial_update(self, request: Request, pk: str) -> Response:
        etag = request.headers.get("If-Match")
        if not etag:
            raise PreconditionRequired("Send If-Match with the ETag from your last read.")
        body = ConnectorUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        return self._respond(
            services.update(actor=self.actor, connector_id=pk, changes=body.validated_data, expected_etag=etag)
        )

    @extend_schema(request=CheckRequestSerializer, responses=CheckResultSerializer)
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str) -> Response:
        body = CheckRequestSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        outcome = services.check(actor=self.actor, connector_id=pk, **body.validated_data)
        return Response(CheckResultSerializer(outcome).data)

    @extend_schema(responses=OperationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def operations(self, request: Request, pk: str) -> Response:
        instance = services.get(pk)
        rows = queries.operations(instance.pk)[:200]
        return Response(OperationSerializer(rows, many=True).data)
