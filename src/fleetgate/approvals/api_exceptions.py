"""Exceptions and break-glass: thin views (split from approvals.api by sub-resource)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer
from fleetgate.approvals import policy, queries, services
from fleetgate.approvals.api import RevokeSerializer
from fleetgate.approvals.models import BreakGlass, ExceptionKind, PolicyException
from fleetgate.core.scoping import reader
from fleetgate.evidence.documents import Kind
from fleetgate.evidence.models import EvidenceItem

# --- exceptions -----------------------------------------------------------------------------------------


class ExceptionWriteSerializer(StrictSerializer):
    kind = serializers.CharField(max_length=32)
    intent = serializers.UUIDField(required=False, allow_null=True)
    artifact = serializers.UUIDField(required=False, allow_null=True)
    subject = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    justification = serializers.CharField(max_length=10000)
    compensating_controls = serializers.CharField(max_length=10000)
    owner = serializers.CharField(max_length=150, help_text="username")
    expires_in_days = serializers.IntegerField()


class ExceptionApprovalSerializer(serializers.Serializer):  # type: ignore[type-arg]
    approver = serializers.CharField(source="approver.username")
    capacity = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class NamedRefSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField()
    name = serializers.CharField()


class CoveredArtifactSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField()
    filename = serializers.CharField()
    platform = serializers.CharField()
    format = serializers.CharField()


class CoveredFindingSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The finding an exception's subject names, as the artifact's current vulnerability scan reports it."""

    id = serializers.CharField()
    severity = serializers.CharField()
    score = serializers.CharField(allow_null=True)
    component = serializers.CharField()
    installed_version = serializers.CharField()
    fixed_version = serializers.CharField()


class CoverageSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """What an exception covers, by name: read in the same query as the exception (no lookup per row)."""

    application = NamedRefSerializer(allow_null=True)
    version = NamedRefSerializer(allow_null=True, help_text="name: the version string, e.g. 128.6.0")
    artifact = CoveredArtifactSerializer(allow_null=True)
    intent = NamedRefSerializer(allow_null=True)
    finding = CoveredFindingSerializer(
        allow_null=True, help_text="null when the subject is no finding of the artifact's current scan"
    )


def coverage(row: PolicyException) -> dict[str, Any]:
    """Names of what `row` covers from the rows `covered()` loaded with it."""
    artifact, intent = row.artifact, row.intent
    version = artifact.version if artifact else intent.version if intent else None
    app = version.application if version else None
    finding = None
    if artifact and row.kind == ExceptionKind.VULNERABILITY and row.subject:
        found = (f for scan in artifact.current_scans for f in scan.summary.get("findings", []))  # type: ignore[attr-defined]
        finding = next((f for f in found if isinstance(f, dict) and f.get("id") == row.subject), None)
    return {
        "application": {"id": app.pk, "name": app.name} if app else None,
        "version": {"id": version.pk, "name": version.version} if version else None,
        "artifact": artifact,
        "intent": {"id": intent.pk, "name": intent.name} if intent else None,
        "finding": finding,
    }


def covered(qs: QuerySet[PolicyException]) -> QuerySet[PolicyException]:
    """Load the names `coverage()` reads with the exceptions: two joins and one query for the current scans."""
    scans = EvidenceItem.objects.filter(kind=Kind.VULNERABILITY_SCAN, current=True).only("artifact_id", "summary")
    return qs.select_related("artifact__version__application", "intent__version__application").prefetch_related(
        Prefetch("artifact__evidence", queryset=scans, to_attr="current_scans")
    )


class ExceptionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    owner = serializers.CharField(source="owner.username", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    approvals = ExceptionApprovalSerializer(many=True, read_only=True)
    covers = serializers.SerializerMethodField()

    class Meta:
        model = PolicyException
        fields = ["id", "kind", "intent", "artifact", "subject", "justification", "compensating_controls", "owner"]
        fields += ["requested_by", "state", "quorum", "expires_at", "original_expires_at", "created_at"]
        fields += ["decided_at", "decision_reason", "reminder_sent_at", "lapsed_at", "approvals", "covers"]

    @extend_schema_field(CoverageSerializer)
    def get_covers(self, row: PolicyException) -> dict[str, Any]:
        return CoverageSerializer(coverage(row)).data  # type: ignore[return-value]


class OptionalReasonSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=4000)


class ExtendSerializer(StrictSerializer):
    days = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=4000)


class ExceptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = ExceptionSerializer
    view_permission = "exception.view"
    filterset_fields = ["kind", "state", "intent", "artifact"]

    def get_queryset(self) -> Any:
        return covered(queries.exceptions(reader(self)))

    def _out(self, row: PolicyException, code: int = status.HTTP_200_OK) -> Response:
        return Response(ExceptionSerializer(covered(queries.exceptions()).get(pk=row.pk)).data, status=code)

    @extend_schema(request=ExceptionWriteSerializer, responses={201: ExceptionSerializer})
    def create(self, request: Request) -> Response:
        body = ExceptionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(
            services.request_exception(actor=self.actor, data=body.validated_data), status.HTTP_201_CREATED
        )

    @extend_schema(request=OptionalReasonSerializer, responses=ExceptionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        body = OptionalReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(services.approve_exception(actor=self.actor, exception_id=pk, **body.validated_data))

    @extend_schema(request=RevokeSerializer, responses=ExceptionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        body = RevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(services.reject_exception(actor=self.actor, exception_id=pk, **body.validated_data))

    @extend_schema(request=ExtendSerializer, responses=ExceptionSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str) -> Response:
        body = ExtendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(services.extend_exception(actor=self.actor, exception_id=pk, **body.validated_data))


# --- break-glass ------------------------------------------------------------------------------------------


class BreakGlassWriteSerializer(StrictSerializer):
    intent = serializers.UUIDField()
    priority = serializers.CharField(max_length=2)
    reason = serializers.CharField(max_length=4000)
    duration_hours = serializers.IntegerField(max_value=policy.BREAKGLASS_MAX_HOURS * 10)


class BreakGlassSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    intent_name = serializers.CharField(source="intent.name", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    confirmed_by = serializers.CharField(source="confirmed_by.username", read_only=True, allow_null=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", read_only=True, allow_null=True)

    class Meta:
        model = BreakGlass
        fields = ["id", "intent", "intent_name", "priority", "reason", "duration_hours", "state", "requested_by"]
        fields += ["confirmed_by", "created_at", "confirmed_at", "expires_at", "review_due_at", "reviewed_by"]
        fields += ["reviewed_at", "review_notes"]


class ReviewNotesSerializer(StrictSerializer):
    notes = serializers.CharField(max_length=4000)


class BreakGlassViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = BreakGlassSerializer
    view_permission = "breakglass.view"
    filterset_fields = ["intent", "state", "priority"]

    def get_queryset(self) -> Any:
        return queries.break_glass(reader(self))

    @extend_schema(request=BreakGlassWriteSerializer, responses={201: BreakGlassSerializer})
    def create(self, request: Request) -> Response:
        body = BreakGlassWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = services.request_breakglass(
            actor=self.actor,
            intent_id=data["intent"],
            priority=data["priority"],
            reason=data["reason"],
            duration_hours=data["duration_hours"],
        )
        return Response(BreakGlassSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=BreakGlassSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        return Response(BreakGlassSerializer(services.confirm_breakglass(actor=self.actor, breakglass_id=pk)).data)

    @extend_schema(request=ReviewNotesSerializer, responses=BreakGlassSerializer)
    @action(detail=True, methods=["post"], url_path="review")
    def review_use(self, request: Request, pk: str) -> Response:
        body = ReviewNotesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.review_breakglass(actor=self.actor, breakglass_id=pk, notes=body.validated_data["notes"])
        return Response(BreakGlassSerializer(row).data)
