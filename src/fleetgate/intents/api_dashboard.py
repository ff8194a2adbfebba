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


def _brief(item: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": str(item["id"]),
        "name": str(item["name"]),
        "title": str(item["title"]),
        "application_name": str(item["application_name"]),
        "version": str(item["version"]),
        "state": item["state"],
        "rings": [str(ring) for ring in item["rings"]],
    }
    if "action" in item:  # only what waits for the reader has one (DRF leaves an absent field out)
        out["action"] = item["action"]
    return out


def _event(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "sequence": int(item["sequence"]),
        "occurred_at": drf_datetime(item["occurred_at"]),
        "actor_name": str(item["actor_name"]),
        "action": str(item["action"]),
        "subject_type": str(item["subject_type"]),
        "subject_id": str(item["subject_id"]),
    }


class DashboardSerializer(DirectRepresentation, serializers.Serializer):  # type: ignore[type-arg]
    intents_by_state = serializers.DictField(child=serializers.IntegerField())
    in_progress = IntentBriefSerializer(many=True)
    awaiting_my_action = IntentBriefSerializer(many=True)
    recent_events = RecentEventSerializer(many=True)

    def represent(self, summary: dict[str, Any]) -> dict[str, Any]:
        return {
            "intents_by_state": {str(state): int(n) for state, n in summary["intents_by_state"].items()},
            "in_progress": [_brief(item) for item in summary["in_progress"]],
            "awaiting_my_action": [_brief(item) for item in summary["awaiting_my_action"]],
            "recent_events": [_event(item) for item in summary["recent_events"]],
        }


class DashboardView(APIView):
    @extend_schema(responses=DashboardSerializer, operation_id="dashboard_read")
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        permissions.require(actor, "intent.view")
        return Response(DashboardSerializer(dashboard.summary(actor)).data)
