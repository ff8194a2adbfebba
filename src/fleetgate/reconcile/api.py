"""Drift and reconciliation passes over HTTP. Thin: parse, call one service, serialise.

- GET  /drift/ (filters: kind, status, route, plane, ring, group, intent, connector, boundary,
  business_unit, severity), GET /drift/{id}/, GET /drift/summary/ (counts per kind and status)
- POST /drift/{id}/acknowledge/ | resolve/ | accept/ (If-Match optional)
- POST /reconcile/runs/ {intent?, dry_run?}: dry run answers 200 with the report; otherwise 202 + job
- GET  /reconcile/runs/, GET /reconcile/runs/{id}/
"""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer, int_id
from fleetgate.api.pagination import CursorPagination
from fleetgate.core import permissions
from fleetgate.core.errors import NotFound
from fleetgate.core.scoping import reader
from fleetgate.reconcile import queries
from fleetgate.reconcile.models import Drift
from fleetgate.reconcile.services import decisions, jobs, passes
from fleetgate.worker.models import JobRun


class DriftSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    intent_name = serializers.CharField(source="intent.name", read_only=True)
    connector_name = serializers.CharField(source="connector.name", read_only=True)
    etag = serializers.CharField(read_only=True)

    class Meta:
        model = Drift
        fields = [
            "id",
            "kind",
            "severity",
            "status",
            "route",
            "summary",
            "intent",
            "intent_name",
            "plane",
            "connector",
            "connector_name",
            "ring",
            "group",
            "device",
            "device_name",
            "expected",
            "observed",
            "boundary",
            "business_unit",
            "first_seen",
            "last_seen",
            "resolved_at",
            "attempts",
            "last_attempt_at",
            "next_attempt_at",
            "hold_reason",
            "acknowledged_by",
            "acknowledged_at",
            "decided_by",
            "decision_reason",
            "accepted_until",
            "etag",
        ]
        read_only_fields = fields


class DriftSummarySerializer(serializers.Serializer):  # type: ignore[type-arg]
    by_kind = serializers.DictField(child=serializers.IntegerField())
    by_status = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class DriftAcknowledgeSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class DriftResolveSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000, help_text="How the drift was resolved")


class DriftAcceptSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000)
    expires_at = serializers.DateTimeField(help_text="At most 90 days from now; the drift reopens after it")


class ReconcileRunRequestSerializer(StrictSerializer):
    intent = serializers.UUIDField(required=False, allow_null=True, default=None)
    dry_run = serializers.BooleanField(required=False, default=False)


class ReconcilePassSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    report = serializers.SerializerMethodField()

    class Meta:
        model = JobRun
        fields = ["id", "status", "intent_id", "queued_at", "started_at", "finished_at", "error", "log", "report"]

    def get_report(self, obj: JobRun) -> dict[str, Any]:
        return dict((obj.params or {}).get("report") or {})


class ReconcilePlannedActionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    drift = serializers.CharField()
    action = serializers.ChoiceField(choices=["remediate", "escalate", "hold", "route", "wait"])
    detail = serializers.CharField()


class ReconcileReportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    dry_run = serializers.BooleanField()
    intents = serializers.IntegerField()
    targets = serializers.IntegerField()
    plane_reads = serializers.IntegerField()
    found = serializers.DictField(child=serializers.IntegerField())
    opened = serializers.IntegerField()
    healed = serializers.IntegerField()
    remediated = serializers.IntegerField()
    escalated = serializers.IntegerField()
    problems = serializers.ListField(child=serializers.CharField())
    drift = serializers.ListField(child=serializers.DictField())
    actions = ReconcilePlannedActionSerializer(many=True)


class DriftFilter(django_filters.FilterSet):
    intent = django_filters.UUIDFilter(field_name="intent_id")

    class Meta:
        model = Drift
        fields = [
            "kind",
            "status",
            "route",
            "severity",
            "plane",
            "ring",
            "group",
            "connector",
            "boundary",
            "business_unit",
            "device",
        ]


def _paged_by(field: str) -> type[CursorPagination]:
    return type(f"DriftPagedBy{field.strip('-').title()}", (CursorPagination,), {"ordering": field})


class DriftViewSet(mixins.ListModelMixin, ResourceViewSet):
    view_permission = "drift.view"
    serializer_class = DriftSerializer
    pagination_class = _paged_by("-last_seen")
    filterset_class = DriftFilter
    queryset = Drift.objects.none()  # the schema's model; requests read `get_queryset()`

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Drift.objects.none()
        return queries.visible(self.actor)

    def retrieve(self, request: Request, pk: str) -> Response:
        row = self.get_queryset().filter(pk=pk).first()
        if row is None:
            raise NotFound(f"No drift {pk}.")
        return Response(DriftSerializer(row).data, headers={"ETag": row.etag})

    @extend_schema(responses=DriftSummarySerializer, filters=True)
    @action(detail=False, methods=["get"])
    def summary(self, request: Request) -> Response:
        rows = self.filter_queryset(self.get_queryset())
        return Response(DriftSummarySerializer(queries.counts(rows)).data)

    def _decided(self, row: Drift) -> Response:
        return Response(DriftSerializer(queries.drift().get(pk=row.pk)).data, headers={"ETag": row.etag})

    @extend_schema(request=DriftAcknowledgeSerializer, responses=DriftSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        body = DriftAcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = decisions.acknowledge(
            actor=self.actor,
            drift_id=pk,
            reason=body.validated_data["reason"],
            expected_etag=request.headers.get("If-Match"),
        )
        return self._decided(row)

    @extend_schema(request=DriftResolveSerializer, responses=DriftSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        body = DriftResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = decisions.resolve(
            actor=self.actor,
            drift_id=pk,
            reason=body.validated_data["reason"],
            expected_etag=request.headers.get("If-Match"),
        )
        return self._decided(row)

    @extend_schema(request=DriftAcceptSerializer, responses=DriftSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        body = DriftAcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = decisions.accept(
            actor=self.actor,
            drift_id=pk,
            reason=body.validated_data["reason"],
            expires_at=body.validated_data["expires_at"],
            expected_etag=request.headers.get("If-Match"),
        )
        return self._decided(row)


class ReconcileRunViewSet(mixins.ListModelMixin, ResourceViewSet):
    view_permission = "drift.view"
    serializer_class = ReconcilePassSerializer
    pagination_class = _paged_by("-id")
    queryset = queries.passes()  # the schema's model; requests read `get_queryset()`

    def get_queryset(self) -> Any:
        return queries.passes(reader(self))

    def retrieve(self, request: Request, pk: str) -> Response:
        job = self.get_queryset().filter(pk=int_id(pk)).first()
        if job is None:
            raise NotFound(f"No reconciliation pass {pk}.")
        return Response(ReconcilePassSerializer(job).data)

    @extend_schema(
        request=ReconcileRunRequestSerializer, responses={200: ReconcileReportSerializer, 202: ReconcilePassSerializer}
    )
    def create(self, request: Request) -> Response:
        body = ReconcileRunRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        intent = body.validated_data["intent"]
        permissions.require(self.actor, "reconcile.run")
        if body.validated_data["dry_run"]:
            report = passes.run(actor=self.actor, intent_id=intent, dry_run=True)
            return Response(ReconcileReportSerializer(report.as_dict()).data)
        job = jobs.enqueue_recorded(actor=self.actor, intent_id=intent)
        return Response(
            ReconcilePassSerializer(job).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/v1/reconcile/runs/{job.pk}/"},
        )
