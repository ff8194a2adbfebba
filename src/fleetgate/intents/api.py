"""Deployment intents: a thin layer that parses, calls one service and serialises."""

from __future__ import annotations

from typing import Any, Literal

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer
from fleetgate.api.representation import DirectRepresentation, drf_datetime
from fleetgate.approvals import services as approvals
from fleetgate.audit import queries as ledger
from fleetgate.audit.api import LedgerEventSerializer
from fleetgate.core import permissions
from fleetgate.core.errors import PreconditionRequired
from fleetgate.core.fsm import allowed_actions
from fleetgate.core.roles import SiteClass
from fleetgate.core.scoping import reader
from fleetgate.intents import queries, services
from fleetgate.intents.models import DeploymentIntent, RingPolicy
from fleetgate.intents.states import EDITABLE_STATES, TRANSITIONS, State

IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, description="ETag from a previous read")
IF_MATCH_REQUIRED = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=True, description="ETag from a previous read (428 without)"
)


class RingStepSerializer(StrictSerializer):
    ring = serializers.CharField(max_length=32)
    target_group = serializers.CharField(max_length=200)
    target_groups = serializers.DictField(
        child=serializers.CharField(max_length=200),
        required=False,
        help_text="The ring's group per plane, as the plane names it (an Entra group id, a Jamf computer group, "
        "an SCCM collection, a Landscape tag, an AWX limit), keyed by connector kind or name; target_group otherwise.",
    )
    device_count = serializers.IntegerField(min_value=1)
    not_before = serializers.DateTimeField(required=False, allow_null=True)


class RollbackPlanSerializer(StrictSerializer):
    strategy = serializers.CharField(max_length=32)
    rollback_version = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True)


class IntentWriteSerializer(StrictSerializer):
    name = serializers.SlugField(max_length=100)
    title = serializers.CharField(max_length=200)
    change_reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)
    application = serializers.UUIDField()
    version = serializers.CharField(max_length=64)
    target_boundary = serializers.CharField(max_length=64)
    target_business_unit = serializers.CharField(max_length=64)
    target_site_classes = serializers.ListField(child=serializers.ChoiceField(choices=SiteClass.choices))
    ring_plan = RingStepSerializer(many=True)
    rollback_plan = RollbackPlanSerializer()

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        # JSON storage wants plain values: datetimes back to ISO strings.
        for step in value.get("ring_plan", []):
            if step.get("not_before") is not None:
                step["not_before"] = step["not_before"].isoformat()
        return value


class IntentUpdateSerializer(IntentWriteSerializer):
    name = None  # type: ignore[assignment]
    application = None  # type: ignore[assignment]


class CancelSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class RingStepReadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    ring = serializers.CharField()
    target_group = serializers.CharField()
    target_groups = serializers.DictField(child=serializers.CharField(), required=False)
    device_count = serializers.IntegerField()
    not_before = serializers.DateTimeField(required=False, allow_null=True)


class RollbackPlanReadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    strategy = serializers.CharField()
    rollback_version = serializers.CharField(required=False, allow_null=True)


# What a person can ask for on an intent; the rest of the lifecycle is driven by CAB and the engine.
PERSONAL_ACTIONS = ("update", "submit", "cancel")


def _ring_step(step: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ring": str(step["ring"]), "target_group": str(step["target_group"])}
    if "target_groups" in step:
        groups = step["target_groups"]
        out["target_groups"] = (
            None if groups is None else {str(k): None if v is None else str(v) for k, v in groups.items()}
        )
    out["device_count"] = int(step["device_count"])
    out["not_before"] = drf_datetime(step.get("not_before"))  # allow_null: a missing key reads as null
    return out


def _rollback_plan(plan: dict[str, Any]) -> dict[str, Any]:
    version = plan.get("rollback_version")  # allow_null: a missing key reads as null
    return {"strategy": str(plan["strategy"]), "rollback_version": None if version is None else str(version)}


def _related_names(intent: DeploymentIntent) -> tuple[str, str, str, str]:
    """Application, version, ring policy and publisher names: columns of a read (queries.RELATED_NAMES),
    else the related rows a service loaded with the intent it changed."""
    row = intent.__dict__
    if "application_name" in row:
        return row["application_name"], row["version_name"], row["ring_policy_version"], row["publisher_name"]
    return intent.application.name, intent.version.version, intent.ring_policy.version, intent.publisher.username


class IntentSerializer(DirectRepresentation, serializers.ModelSerializer):  # type: ignore[type-arg]
    target_site_classes = serializers.ListField(child=serializers.ChoiceField(choices=SiteClass.choices))
    ring_plan = RingStepReadSerializer(many=True)
    rollback_plan = RollbackPlanReadSerializer()
    application_name = serializers.CharField(source="application.name", read_only=True)
    version = serializers.CharField(source="version.version", read_only=True)
    publisher = serializers.CharField(source="publisher.username", read_only=True)
    ring_policy = serializers.CharField(source="ring_policy.version", read_only=True)
    etag = serializers.CharField(read_only=True)
    target_devices = serializers.IntegerField(read_only=True)
    allowed_actions = serializers.SerializerMethodField(
        help_text="What the requesting user may do now: the lifecycle's next steps, filtered by their roles and scope."
    )

    class Meta:
        model = DeploymentIntent
        fields = [
            "id",
            "name",
            "title",
            "change_reason",
            "application",
            "application_name",
            "version",
            "target_boundary",
            "target_business_unit",
            "target_site_classes",
            "ring_plan",
            "rollback_plan",
            "ring_policy",
            "state",
            "publisher",
            "revision",
            "etag",
            "target_devices",
            "allowed_actions",
            "created_at",
            "updated_at",
            "submitted_at",
        ]

    def represent(self, intent: DeploymentIntent) -> dict[str, Any]:
        application_name, version, ring_policy, publisher = _related_names(intent)
        return {
            "id": str(intent.pk),
            "name": intent.name,
            "title": intent.title,
            "change_reason": intent.change_reason,
            "application": intent.application_id,  # a UUID, as PrimaryKeyRelatedField gives it
            "application_name": application_name,
            "version": version,
            "target_boundary": intent.target_boundary,
            "target_business_unit": intent.target_business_unit,
            "target_site_classes": list(intent.target_site_classes),
            "ring_plan": [_ring_step(step) for step in intent.ring_plan],
            "rollback_plan": _rollback_plan(intent.rollback_plan),
            "ring_policy": ring_policy,
            "state": intent.state,
            "publisher": publisher,
            "revision": intent.revision,
            "etag": intent.etag,
            "target_devices": intent.target_devices,
            "allowed_actions": self.get_allowed_actions(intent),
            "created_at": drf_datetime(intent.created_at),
            "updated_at": drf_datetime(intent.updated_at),
            "submitted_at": drf_datetime(intent.submitted_at),
        }

    def get_allowed_actions(self, intent: DeploymentIntent) -> list[Literal["update", "submit", "cancel"]]:
        lifecycle = allowed_actions(TRANSITIONS, State(intent.state))
        if intent.state in EDITABLE_STATES:
            lifecycle = ["update", *lifecycle]
        actor = self.context.get("actor")
        return [
            a  # type: ignore[misc]
            for a in PERSONAL_ACTIONS
            if a in lifecycle and actor is not None and permissions.can(actor, f"intent.{a}", intent)
        ]


class RingPolicySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = RingPolicy
        fields = ["version", "document", "sha256", "active", "loaded_at"]


class IntentFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=[(s.value, s.value) for s in State])
    ring = django_filters.CharFilter(method="by_ring")
    business_unit = django_filters.CharFilter(field_name="target_business_unit")
    boundary = django_filters.CharFilter(field_name="target_boundary")
    publisher = django_filters.CharFilter(field_name="publisher__username")
    q = django_filters.CharFilter(method="search")

    class Meta:
        model = DeploymentIntent
        fields = ["application", "name"]

    def by_ring(self, qs: QuerySet[DeploymentIntent], name: str, value: str) -> QuerySet[DeploymentIntent]:
        # Both backends render stored JSON with ": " separators, so a text match is exact and portable.
        return qs.filter(ring_plan__icontains=f'"ring": "{value}"')

    def search(self, qs: QuerySet[DeploymentIntent], name: str, value: str) -> QuerySet[DeploymentIntent]:
        return qs.filter(title__icontains=value) | qs.filter(name__icontains=value)


class IntentViewSet(mixins.ListModelMixin, ResourceViewSet):
    serializer_class = IntentSerializer
    view_permission = "intent.view"
    filterset_class = IntentFilter

    def get_queryset(self) -> Any:
        return queries.intent_reads(reader(self))

    def _respond(self, intent: DeploymentIntent, code: int = status.HTTP_200_OK) -> Response:
        data = IntentSerializer(intent, context={"actor": self.actor}).data
        return Response(data, status=code, headers={"ETag": intent.etag})

    def get_serializer_context(self) -> dict[str, Any]:
        if getattr(self, "swagger_fake_view", False):
            return super().get_serializer_context()
        return {**super().get_serializer_context(), "actor": self.actor}

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._respond(self.get_object())

    @extend_schema(request=IntentWriteSerializer, responses={201: IntentSerializer})
    def create(self, request: Request) -> Response:
        body = IntentWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(services.create(actor=self.actor, data=body.validated_data), status.HTTP_201_CREATED)

    @extend_schema(
        request=IntentUpdateSerializer(partial=True), responses=IntentSerializer, parameters=[IF_MATCH_REQUIRED]
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        etag = request.headers.get("If-Match")
        if not etag:
            raise PreconditionRequired(
                "Send If-Match with the ETag from your last read, so you never overwrite someone else's edit."
            )
        body = IntentUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        intent = services.update(
            actor=self.actor,
            intent_id=pk,
            changes=body.validated_data,
            expected_etag=etag,
        )
        return self._respond(intent)

    @extend_schema(request=None, responses=IntentSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        # Needs a sealed evidence pack and a risk assessment, then opens CAB or records cab_not_required.
        intent = approvals.submit(
            actor=self.actor,
            intent_id=pk,
            expected_etag=request.headers.get("If-Match"),
        )
        return self._respond(intent)

    @extend_schema(request=CancelSerializer, responses=IntentSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        intent = services.cancel(
            actor=self.actor,
            intent_id=pk,
            reason=body.validated_data["reason"],
            expected_etag=request.headers.get("If-Match"),
        )
        return self._respond(intent)

    @extend_schema(responses=LedgerEventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: str) -> Response:
        intent = self.get_object()
        events = ledger.for_subject("intent", intent.pk)
        return Response(LedgerEventSerializer(events, many=True).data)


class RingPolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = RingPolicySerializer
    view_permission = "policy.view"
    lookup_field = "version"
    lookup_value_regex = r"[0-9.]+"
    pagination_class = None

    def get_queryset(self) -> Any:
        return queries.ring_policies()
