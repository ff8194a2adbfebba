"""The ledger over HTTP: read, filter, verify, export. Nothing here writes events."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet
from fleetgate.api.pagination import CursorPagination
from fleetgate.api.representation import DirectRepresentation, drf_datetime
from fleetgate.audit import queries, subjects
from fleetgate.audit.models import LedgerEvent
from fleetgate.audit.verify import verify_chain
from fleetgate.core import permissions
from fleetgate.core.errors import FieldIssue, ValidationFailed
from fleetgate.core.scoping import reader


class NamedEventsSerializer(serializers.ListSerializer):  # type: ignore[type-arg]
    """A page of events names their subjects in one query per subject type (subjects.names), not one per row."""

    def to_representation(self, data: Any) -> Any:
        rows = list(data.all() if hasattr(data, "all") else data)
        self.child.subject_names = subjects.names(rows)  # type: ignore[union-attr]
        return super().to_representation(rows)


class LedgerEventSerializer(DirectRepresentation, serializers.ModelSerializer):  # type: ignore[type-arg]
    actor_roles = serializers.ListField(child=serializers.CharField())
    subject_name = serializers.SerializerMethodField(
        help_text="What people call the subject (an intent's name, an artifact's file name); null when it has none"
    )
    subject_names: dict[tuple[str, str], str] | None = None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_subject_name(self, event: LedgerEvent) -> str | None:
        known = self.subject_names if self.subject_names is not None else subjects.names([event])
        return known.get((event.subject_type, event.subject_id))

    def represent(self, event: LedgerEvent) -> dict[str, Any]:
        return {
            "sequence": event.sequence,
            "occurred_at": drf_datetime(event.occurred_at),
            "actor_kind": event.actor_kind,
            "actor_id": event.actor_id,
            "actor_name": event.actor_name,
            "actor_roles": [None if r is None else str(r) for r in event.actor_roles],
            "action": event.action,
            "severity": event.severity,
            "subject_type": event.subject_type,
            "subject_id": event.subject_id,
            "subject_name": self.get_subject_name(event),
            "before": event.before,
            "after": event.after,
            "reason": event.reason,
            "correlation_id": event.correlation_id,
            "prev_hash": event.prev_hash,
            "hash": event.hash,
        }

    class Meta:
        model = LedgerEvent
        list_serializer_class = NamedEventsSerializer
        fields = [
            "sequence",
            "occurred_at",
            "actor_kind",
            "actor_id",
            "actor_name",
            "actor_roles",
            "action",
            "severity",
            "subject_type",
            "subject_id",
            "subject_name",
            "before",
            "after",
            "reason",
            "correlation_id",
            "prev_hash",
            "hash",
        ]


class VerifyResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    ok = serializers.BooleanField()
    checked = serializers.IntegerField()
    head_sequence = serializers.IntegerField()
    first_bad_sequence = serializers.IntegerField(allow_null=True)
    problem = serializers.CharField()
    checkpoints_verified = serializers.IntegerField()


class LedgerFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(lookup_expr="startswith")
    actor = django_filters.CharFilter(field_name="actor_name")
    subject_type = django_filters.CharFilter()
    subject_id = django_filters.CharFilter()
    correlation_id = django_filters.CharFilter()
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    severity = django_filters.CharFilter()

    class Meta:
        model = LedgerEvent
        fields: list[str] = []


class LedgerPagination(CursorPagination):
    ordering = "-sequence"


class LedgerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = LedgerEventSerializer
    view_permission = "ledger.view"
    filterset_class = LedgerFilter
    pagination_class = LedgerPagination
    lookup_field = "sequence"
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> Any:
        return queries.events(reader(self))

    @extend_schema(request=None, responses=VerifyResultSerializer)
    @action(detail=False, methods=["post"])
    def verify(self, request: Request) -> Response:
        permissions.require(self.actor, "ledger.verify")
        return Response(verify_chain().as_dict())

    @extend_schema(
        responses={(200, "application/jsonl"): OpenApiTypes.STR},
        filters=False,
        parameters=[OpenApiParameter("after_sequence", int, description="Only events after this sequence")],
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> StreamingHttpResponse:
        permissions.require(self.actor, "ledger.export")
        raw = request.query_params.get("after_sequence", "0") or "0"
        if not raw.isdigit():
            raise ValidationFailed(
                "after_sequence must be a whole number.",
                errors=[FieldIssue("after_sequence", "integer", "Use the last sequence you already hold, e.g. 1200.")],
            )
        after = int(raw)
        lines = queries.export_lines(after, actor=self.actor)
        response = StreamingHttpResponse(lines, content_type="application/jsonl")
        response["Content-Disposition"] = 'attachment; filename="fleetgate-ledger.jsonl"'
        return response
