"""Risk over HTTP: assess (scores are computed, never accepted), explain, replay, rubric versions."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer
from fleetgate.core import permissions
from fleetgate.core.scoping import reader
from fleetgate.risk import explain, queries, services
from fleetgate.risk.models import RiskAssessment, RiskModel


class DeclaredFactorSerializer(StrictSerializer):
    option = serializers.CharField(max_length=64)
    justification = serializers.CharField(max_length=4000)


class AssessSerializer(StrictSerializer):
    intent = serializers.UUIDField()
    artifact = serializers.UUIDField(required=False, allow_null=True)
    declared = serializers.DictField(child=DeclaredFactorSerializer(), help_text="{factor: {option, justification}}")


class AssessmentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    rubric_version = serializers.CharField(source="risk_model_id", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    explanation = serializers.SerializerMethodField()

    class Meta:
        model = RiskAssessment
        fields = ["id", "intent", "artifact", "rubric_version", "role", "primary", "score", "raw", "cab_required"]
        fields += ["reasons", "factors", "inputs", "inputs_sha256", "explanation", "created_by", "created_at"]

    def get_explanation(self, row: RiskAssessment) -> list[str]:
        return explain.lines(row)


class ReplaySerializer(serializers.Serializer):  # type: ignore[type-arg]
    assessment = serializers.UUIDField()
    score = serializers.IntegerField()
    raw = serializers.CharField()
    matches = serializers.BooleanField()


class RiskAssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = AssessmentSerializer
    view_permission = "risk.view"
    filterset_fields = ["intent", "artifact", "role", "risk_model"]

    def get_queryset(self) -> Any:
        return queries.assessments(reader(self))

    @extend_schema(request=AssessSerializer, responses={201: AssessmentSerializer})
    def create(self, request: Request) -> Response:
        body = AssessSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = services.assess(
            actor=self.actor, intent_id=data["intent"], declared=data["declared"], artifact_id=data.get("artifact")
        )
        return Response(AssessmentSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ReplaySerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str) -> Response:
        permissions.require(self.actor, "risk.verify")
        row = self.get_object()
        again = explain.replay(row)  # raises replay-mismatch (409) when the result differs
        return Response({"assessment": row.pk, "score": again["score"], "raw": again["raw"], "matches": True})


class RiskModelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    proposed_by = serializers.CharField(source="proposed_by.username", read_only=True, allow_null=True)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, allow_null=True)

    class Meta:
        model = RiskModel
        fields = ["version", "document", "sha256", "state", "reason", "proposed_by", "approved_by", "loaded_at"]
        fields += ["parallel_since", "activated_at", "retired_at"]


class ProposeSerializer(StrictSerializer):
    document = serializers.JSONField()
    reason = serializers.CharField(max_length=4000)


class DecisionSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=4000)


class RiskModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = RiskModelSerializer
    view_permission = "policy.view"
    lookup_value_regex = r"[0-9A-Za-z.\-]+"
    pagination_class = None

    def get_queryset(self) -> Any:
        return queries.models_()

    @extend_schema(request=ProposeSerializer, responses={201: RiskModelSerializer})
    def create(self, request: Request) -> Response:
        body = ProposeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document = body.validated_data["document"]
        if not isinstance(document, dict):
            raise serializers.ValidationError({"document": ["A rubric document is a JSON object."]})
        row = services.propose_rubric(actor=self.actor, document=document, reason=body.validated_data["reason"])
        return Response(RiskModelSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionSerializer, responses=RiskModelSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.approve_rubric(actor=self.actor, version=pk, reason=body.validated_data["reason"])
        return Response(RiskModelSerializer(row).data)

    @extend_schema(request=DecisionSerializer, responses=RiskModelSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str) -> Response:
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.activate_rubric(actor=self.actor, version=pk, reason=body.validated_data["reason"])
        return Response(RiskModelSerializer(row).data)
