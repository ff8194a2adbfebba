"""CAB requests and decisions, CAB submissions, promotion check: thin views (exceptions and break-glass:
api_exceptions.py)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fleetgate.api.base import ResourceViewSet, StrictSerializer, actor_of
from fleetgate.approvals import queries, services
from fleetgate.approvals.models import CabDecision, CabRequest, CabSubmission
from fleetgate.approvals.states import RequestState
from fleetgate.core import permissions
from fleetgate.core.errors import NotFound, ValidationFailed
from fleetgate.core.scoping import INTENT, reader, scoped
from fleetgate.core.validation import Issues
from fleetgate.intents.models import DeploymentIntent

# --- CAB submissions --------------------------------------------------------------------------------


class CabSubmissionWriteSerializer(StrictSerializer):
    intent = serializers.UUIDField()
    summary = serializers.CharField(max_length=10000)
    justification = serializers.CharField(max_length=10000)
    impact = serializers.CharField(max_length=10000)
    test_summary = serializers.CharField(max_length=10000)
    backout_plan = serializers.CharField(max_length=10000)
    drafted_with = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The assistant draft-cab-note interaction (yours, about this intent) the text started from",
    )


class CabSubmissionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = CabSubmission
        fields = ["id", "intent", "version", "summary", "justification", "impact", "test_summary", "backout_plan"]
        fields += ["supersedes", "drafted_with", "created_by", "created_at"]


class CabSubmissionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = CabSubmissionSerializer
    view_permission = "cab.view"
    filterset_fields = ["intent", "version"]

    def get_queryset(self) -> Any:
        return queries.submissions(reader(self))

    @extend_schema(request=CabSubmissionWriteSerializer, responses={201: CabSubmissionSerializer})
    def create(self, request: Request) -> Response:
        body = CabSubmissionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        row = services.create_submission(actor=self.actor, intent_id=data.pop("intent"), data=data)
        return Response(CabSubmissionSerializer(row).data, status=status.HTTP_201_CREATED)


# --- CAB requests and decisions -------------------------------------------------------------------


class DecisionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    approver = serializers.CharField(source="approver.username", read_only=True)
    revoked = serializers.SerializerMethodField()
    revoked_by = serializers.SerializerMethodField()
    revoke_reason = serializers.SerializerMethodField()

    class Meta:
        model = CabDecision
        fields = ["id", "request", "approver", "kind", "reason", "conditions", "expires_at", "created_at"]
        fields += ["revoked", "revoked_by", "revoke_reason"]

    def _revocation(self, row: CabDecision) -> Any:
        return getattr(row, "revocation", None)

    def get_revoked(self, row: CabDecision) -> bool:
        return self._revocation(row) is not None

    def get_revoked_by(self, row: CabDecision) -> str | None:
        rev = self._revocation(row)
        return rev.revoked_by.username if rev else None

    def get_revoke_reason(self, row: CabDecision) -> str | None:
        rev = self._revocation(row)
        return rev.reason if rev else None


class CabRequestSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    intent_name = serializers.CharField(source="intent.name", read_only=True)
    intent_state = serializers.CharField(source="intent.state", read_only=True)
    application_name = serializers.CharField(source="intent.application.name", read_only=True)
    version = serializers.CharField(source="intent.version.version", read_only=True)
    score = serializers.IntegerField(source="assessment.score", read_only=True)
    opened_by = serializers.CharField(source="opened_by.username", read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta:
        model = CabRequest
        fields = ["id", "intent", "intent_name", "intent_state", "application_name", "version", "state"]
        fields += ["evidence_pack", "pack_version", "assessment", "score", "submission", "blast_radius_class"]
        fields += ["quorum", "opened_by", "created_at", "closed_at", "close_reason", "decisions"]


class ReviewSerializer(serializers.Serializer):  # type: ignore[type-arg]
    request = CabRequestSerializer()
    evidence = serializers.DictField()
    risk = serializers.DictField()
    scope = serializers.DictField()
    diff = serializers.DictField()
    approvals_in_force = serializers.IntegerField()
    submission = CabSubmissionSerializer(allow_null=True)


class ApproveSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=4000)
    expires_in_days = serializers.IntegerField(required=False, allow_null=True, default=None)


class RejectSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=4000)


class ConditionsSerializer(StrictSerializer):
    max_ring = serializers.CharField(required=False, max_length=32)
    min_success_threshold = serializers.FloatField(required=False)
    min_soak_hours = serializers.IntegerField(required=False)
    monitoring_window_hours = serializers.IntegerField(required=False)


class ConditionalSerializer(ApproveSerializer):
    conditions = ConditionsSerializer()


class CabRequestFilter(django_filters.FilterSet):
    queue = django_filters.ChoiceFilter(
        choices=[("pending", "pending for me"), ("mine", "my requests")], method="by_queue"
    )
    state = django_filters.MultipleChoiceFilter(choices=[(s.value, s.value) for s in RequestState])
    application = django_filters.UUIDFilter(field_name="intent__application")
    business_unit = django_filters.CharFilter(field_name="intent__target_business_unit")

    class Meta:
        model = CabRequest
        fields = ["intent", "blast_radius_class"]

    def by_queue(self, qs: QuerySet[CabRequest], name: str, value: str) -> QuerySet[CabRequest]:
        actor = actor_of(self.request)  # type: ignore[arg-type]
        if value == "pending":
            return qs.filter(pk__in=[r.pk for r in queries.pending_for(actor)])
        return qs.filter(pk__in=queries.mine(actor).values("pk"))


class CabRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = CabRequestSerializer
    view_permission = "cab.view"
    filterset_class = CabRequestFilter

    def get_queryset(self) -> Any:
        return queries.requests(reader(self))

    def _decide(self, request: Request, pk: str, kind: str, body: Any) -> Response:
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.decide(
            actor=self.actor,
            request_id=pk,
            kind=kind,
            reason=data.get("reason", ""),
            conditions=data.get("conditions"),
            expires_in_days=data.get("expires_in_days"),
        )
        return Response(CabRequestSerializer(queries.requests().get(pk=pk)).data)

    @extend_schema(responses=ReviewSerializer)
    @action(detail=True, methods=["get"])
    def review(self, request: Request, pk: str) -> Response:
        return Response(ReviewSerializer(queries.review(self.get_object())).data)

    @extend_schema(request=ApproveSerializer, responses=CabRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._decide(request, pk, "approve", ApproveSerializer(data=request.data))

    @extend_schema(request=RejectSerializer, responses=CabRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._decide(request, pk, "reject", RejectSerializer(data=request.data))

    @extend_schema(request=ConditionalSerializer, responses=CabRequestSerializer)
    @action(detail=True, methods=["post"])
    def conditional(self, request: Request, pk: str) -> Response:
        return self._decide(request, pk, "conditional", ConditionalSerializer(data=request.data))


class RevokeSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=4000)


class CabDecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = DecisionSerializer
    view_permission = "cab.view"
    filterset_fields = ["request", "kind"]

    def get_queryset(self) -> Any:
        return queries.decisions(reader(self))

    @extend_schema(request=RevokeSerializer, responses=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        body = RevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.revoke(actor=self.actor, decision_id=pk, reason=body.validated_data["reason"])
        return Response(DecisionSerializer(queries.decisions().get(pk=pk)).data)


class PromotionDecisionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    ok = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    conditions = serializers.DictField()
    skip_soak = serializers.BooleanField()


class PromotionCheckView(APIView):
    """What the rollout engine will ask before a ring: may this intent enter it now, and on what terms."""

    @extend_schema(
        parameters=[
            OpenApiParameter("intent", str, required=True, description="intent id"),
            OpenApiParameter("ring", str, required=True, description="ring name, e.g. pilot"),
        ],
        responses=PromotionDecisionSerializer,
        operation_id="promotion_check",
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        permissions.require(actor, "cab.view")
        issues = Issues()
        for name in ("intent", "ring"):
            if not request.query_params.get(name):
                issues.add(name, "required", f"Give ?{name}=.")
        issues.raise_if_any()
        intents = scoped(actor, DeploymentIntent.objects.all(), INTENT)
        intent = intents.filter(pk=_uuid(request.query_params["intent"])).first()
        if intent is None:
            raise NotFound("No such intent.")
        return Response(
            PromotionDecisionSerializer(queries.promotion_allowed(intent, request.query_params["ring"]).as_dict()).data
        )


def _uuid(value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed("Not an id.", errors=[]) from None
