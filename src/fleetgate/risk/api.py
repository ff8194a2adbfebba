"""Risk over HTTP: assess (scores are computed, never accepted), explain, replay, rubric versions
(propose, approve, activate, reject)."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer
from fleetgate.core import permissions
from fleetgate.core.errors import FieldIssue, NotFound, ValidationFailed
from fleetgate.core.scoping import INTENT, reader, scoped
from fleetgate.intents.models import DeploymentIntent
from fleetgate.risk import explain, preview, queries, services
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


class DerivedFactorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    option = serializers.CharField()
    value = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source
    rationale = serializers.CharField(help_text="where the value came from (evidence, the intent, past outcomes)")
    weight = serializers.CharField()


class DeclarableFactorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    weight = serializers.CharField()
    options = serializers.DictField(child=serializers.CharField(), help_text="{option code: value 0..1}")


class PreviewSerializer(serializers.Serializer):  # type: ignore[type-arg]
    rubric_version = serializers.CharField()
    artifact = serializers.UUIDField()
    privileged_tooling = serializers.BooleanField()
    derived = serializers.DictField(child=DerivedFactorSerializer())
    declared = serializers.DictField(child=DeclarableFactorSerializer(), help_text="the factors a person declares")


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

    @extend_schema(
        parameters=[
            OpenApiParameter("intent", str, required=True, description="intent id"),
            OpenApiParameter("artifact", str, required=False, description="artifact id (when the version has several)"),
        ],
        responses=PreviewSerializer,
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def preview(self, request: Request) -> Response:
        """What an assessment would derive now (nothing stored), and the factors it asks a person to declare."""
        params = request.query_params
        ids = {}
        for name in ("intent", "artifact"):
            raw = params.get(name)
            if raw is None:
                continue
            try:
                ids[name] = uuid.UUID(raw)
            except ValueError:
                raise ValidationFailed(
                    f"Not an {name} id.", errors=[FieldIssue(name, "format", f"Give the {name}'s id (a UUID).")]
                ) from None
        if "intent" not in ids:
            raise ValidationFailed("Name the intent.", errors=[FieldIssue("intent", "required", "Give ?intent=<id>.")])
        intent = scoped(self.actor, DeploymentIntent.objects.all(), INTENT).filter(pk=ids["intent"]).first()
        if intent is None:
            raise NotFound(f"No intent with id {ids['intent']} that you can read; open it from the intents list.")
        artifact = preview.artifact_of(intent, ids.get("artifact"))
        return Response(PreviewSerializer(preview.derived_now(intent, artifact, timezone.now())).data)

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
    rejected_by = serializers.CharField(source="rejected_by.username", read_only=True, allow_null=True)

    class Meta:
        model = RiskModel
        fields = ["version", "document", "sha256", "state", "reason", "proposed_by", "approved_by", "loaded_at"]
        fields += ["parallel_since", "activated_at", "retired_at", "rejected_by", "rejected_at", "rejection_reason"]


class ProposeSerializer(StrictSerializer):
    document = serializers.JSONField()
    reason = serializers.CharField(max_length=4000)


class DecisionSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=4000)


class RubricRejectSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=4000, help_text="why the version is turned down (recorded in the ledger)")


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

    @extend_schema(request=RubricRejectSerializer, responses=RiskModelSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        """Turn a proposed (or parallel-scored) version down, with a reason; it never scores again."""
        body = RubricRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.reject_rubric(actor=self.actor, version=pk, reason=body.validated_data["reason"])
        return Response(RiskModelSerializer(row).data)
