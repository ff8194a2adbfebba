"""The dashboard endpoint: what a signed-in person sees first (intents.dashboard builds it)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fleetgate.api.base import actor_of
from fleetgate.api.representation import DirectRepresentation, drf_datetime
from fleetgate.core import permissions
from fleetgate.intents import dashboard
from fleetgate.intents.states import State


class IntentBriefSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField()
    name = serializers.CharField()
    title = serializers.CharField()
    application_name = serializers.CharField()
    version = serializers.CharField()
    state = serializers.ChoiceField(choices=[(st.value, st.value) for st in State])
    rings = serializers.ListField(child=serializers.CharField())
    action = serializers.ChoiceField(choices=[("submit", "submit"), ("review", "review")], required=False)


class RecentEventSerializer(serializers.Serializer):  # type: ignore[type-arg]
    sequence = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor_name = serializers.CharField()
    action = serializers.CharField()
    subject_type = serializers.CharField()
    subject_id = serializers.CharField()


class DashboardSerializer(DirectRepresentation, serializers.Serializer):  # type: ignore[type-arg]
    intents_by_state = serializers.DictField(child=serializers.IntegerField())
    in_progress = IntentBriefSerializer(many=True)
    awaiting_my_action = IntentBriefSerializer(many=True)
    recent_events = RecentEventSerializer(many=True)

    def represent(self, summary: dict[str, Any]) -> dict[str, Any]:
        # dashboard.summary writes its counts and briefs as the API shows them; only the events'
        # times still need DRF's datetime format
        events = [{**event, "occurred_at": drf_datetime(event["occurred_at"])} for event in summary["recent_events"]]
        return {**summary, "recent_events": events}


class DashboardView(APIView):
    @extend_schema(responses=DashboardSerializer, operation_id="dashboard_read")
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        permissions.require(actor, "intent.view")
        return Response(DashboardSerializer(dashboard.summary(actor)).data)
