"""Rollouts over HTTP: read a rollout (rings, planes, gates, failures), act on it (202 + a job to
poll), plan it dry, and manage incidents, maintenance windows and the change freeze. Thin: each
action parses, calls one service and serialises."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fleetgate.api.base import ResourceViewSet, StrictSerializer, actor_of, int_id
from fleetgate.api.pagination import CursorPagination
from fleetgate.core.errors import NotFound
from fleetgate.core.scoping import reader
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts import plan as planner
from fleetgate.rollouts import queries
from fleetgate.rollouts.models import GateResult, PlaneTarget, RingRun, Rollout
from fleetgate.rollouts.routing import count_warning
from fleetgate.rollouts.services import actions, engine, jobs
from fleetgate.worker.models import JobRun


class GateSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = GateResult
        fields = ["gate", "outcome", "summary", "inputs", "evaluated_at"]


class PlaneTargetSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    connector = serializers.CharField(source="connector.name")
    kind = serializers.CharField(source="connector.kind")
    platform = serializers.CharField(source="artifact.platform")
    observed_devices = serializers.SerializerMethodField()
    count_warning = serializers.SerializerMethodField()

    class Meta:
        model = PlaneTarget
        fields = [
            "connector",
            "kind",
            "platform",
            "group",
            "planned_devices",
            "observed_devices",
            "count_warning",
            "counts",
            "error_codes",
            "observed_at",
            "rollback_counts",
        ]

    def get_observed_devices(self, obj: PlaneTarget) -> int | None:
        """The plane's group membership when the ring was entered; before that, the last observation's total."""
        if obj.observed_devices is not None:
            return obj.observed_devices
        total = obj.counts.get("total")
        return int(total) if total is not None else None

    def get_count_warning(self, obj: PlaneTarget) -> str:
        observed = self.get_observed_devices(obj)
        return count_warning(obj.planned_devices, observed, obj.connector.name, obj.group)


class RingRunSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    targets = PlaneTargetSerializer(many=True, read_only=True)
    gates = GateSerializer(many=True, read_only=True)

    class Meta:
        model = RingRun
        fields = [
            "ring",
            "position",
            "state",
            "assigned_at",
            "decided_at",
            "judgment",
            "rollback_started_at",
            "rollback_finished_at",
            "targets",
            "gates",
        ]


class RolloutSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    intent_name = serializers.CharField(source="intent.name")
    intent_title = serializers.CharField(source="intent.title")
    intent_state = serializers.CharField(source="intent.state")
    application = serializers.CharField(source="intent.application.name")
    version = serializers.CharField(source="intent.version.version")
    rings = RingRunSerializer(many=True, read_only=True)
    demo_time_scale = serializers.SerializerMethodField()

    class Meta:
        model = Rollout
        fields = [
            "id",
            "intent",
            "intent_name",
            "intent_title",
            "intent_state",
            "application",
            "version",
            "status",
            "status_detail",
            "current_ring",
            "pack_versions",
            "started_by",
            "started_at",
            "finished_at",
            "rollback_reason",
            "updated_at",
            "demo_time_scale",
            "rings",
        ]

    def get_demo_time_scale(self, obj: Rollout) -> float:
        return clocks.demo_scale()


class RolloutBriefSerializer(RolloutSerializer):
    class Meta(RolloutSerializer.Meta):
        fields = [f for f in RolloutSerializer.Meta.fields if f != "rings"]


class JobSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = JobRun
        fields = [
            "id",
            "task",
            "status",
            "intent_id",
            "action",
            "requested_by",
            "params",
            "attempts",
            "log",
            "queued_at",
            "started_at",
            "finished_at",
            "error",
            "correlation_id",
        ]


class ActionSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class AcceptedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    job = JobSerializer()
    rollout = RolloutBriefSerializer()


class RolloutFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Rollout.Status.choices)
    intent = django_filters.UUIDFilter(field_name="intent_id")

    class Meta:
        model = Rollout
        fields = ["status", "intent"]


def accepted(request: Request, rollout: Rollout, name: str) -> Response:
    job = jobs.enqueue(actor=actor_of(request), intent_id=rollout.intent_id, action=name)
    body = {
        "job": JobSerializer(job).data,
        "rollout": RolloutBriefSerializer(queries.rollouts().get(pk=rollout.pk)).data,
    }
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": f"/api/v1/jobs/{job.pk}/"})


def _paged_by(field: str) -> type[CursorPagination]:
    """The default cursor orders by created_at, which these models do not have."""
    return type(f"PagedBy{field.strip('-').title()}", (CursorPagination,), {"ordering": field})


class RolloutViewSet(mixins.ListModelMixin, ResourceViewSet):
    view_permission = "rollout.view"
    pagination_class = _paged_by("-started_at")
    filterset_class = RolloutFilter

    def get_queryset(self) -> Any:
        return queries.rollouts(reader(self)).prefetch_related(
            "rings__targets__connector", "rings__targets__artifact", "rings__gates"
        )

    def get_serializer_class(self) -> Any:
        return RolloutBriefSerializer if self.action == "list" else RolloutSerializer

    def retrieve(self, request: Request, pk: str) -> Response:
        rollout = self.get_queryset().filter(pk=pk).first()
        if rollout is None:
            raise NotFound(f"No rollout with id {pk}; list rollouts to find it.")
        return Response(RolloutSerializer(rollout).data)

    def _act(self, request: Request, pk: str, name: str) -> Response:
        body = ActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rollout = self.get_queryset().filter(pk=pk).first()
        if rollout is None:
            raise NotFound(f"No rollout with id {pk}; list rollouts to find it.")
        actions.apply(actor=self.actor, intent_id=rollout.intent_id, action=name, reason=body.validated_data["reason"])
        return accepted(request, rollout, name)

    @extend_schema(request=ActionSerializer, responses={202: AcceptedSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, "pause")

    @extend_schema(request=ActionSerializer, responses={202: AcceptedSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, "resume")

    @extend_schema(request=ActionSerializer, responses={202: AcceptedSerializer})
    @action(detail=True, methods=["post"])
    def halt(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, "halt")

    @extend_schema(request=ActionSerializer, responses={202: AcceptedSerializer})
    @action(detail=True, methods=["post"])
    def rollback(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, "rollback")

    @extend_schema(request=ActionSerializer, responses={202: AcceptedSerializer})
    @action(detail=True, methods=["post"])
    def promote(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, "promote")


class StartView(APIView):
    """POST /intents/{id}/start/: start an approved intent's rollout (202 + job)."""

    @extend_schema(request=None, responses={202: AcceptedSerializer}, operation_id="intents_start")
    def post(self, request: Request, pk: str) -> Response:
        rollout = engine.start(actor=actor_of(request), intent_id=pk, expected_etag=request.headers.get("If-Match"))
        return accepted(request, rollout, "start")


class PlanView(APIView):
    """POST /intents/{id}/plan/: the expected timeline, ring by ring, touching no plane."""

    @extend_schema(request=None, responses=planner.PlanSerializer, operation_id="intents_plan")
    def post(self, request: Request, pk: str) -> Response:
        return Response(planner.PlanSerializer(planner.plan(actor=actor_of(request), intent_id=pk)).data)


class JobViewSet(mixins.ListModelMixin, ResourceViewSet):
    view_permission = "rollout.view"
    pagination_class = _paged_by("-id")
    serializer_class = JobSerializer
    queryset = JobRun.objects.order_by("-id")
    filterset_fields = ["intent_id", "status", "action"]

    def get_queryset(self) -> Any:
        return queries.jobs(reader(self))

    def retrieve(self, request: Request, pk: str) -> Response:
        job = self.get_queryset().filter(pk=int_id(pk)).first()
        if job is None:
            raise NotFound(f"No job {pk}.")
        return Response(JobSerializer(job).data)
