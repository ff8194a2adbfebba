"""The planes' device groups over the API, for the ring steps' pickers (Publishers, and the people
who run the planes): which connectors to ask, and a connector's groups matching a search."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fleetgate.api.base import actor_of
from fleetgate.connectors import groups
from fleetgate.connectors.models import ConnectorInstance
from fleetgate.connectors.registry import KINDS


class GroupSourceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="intune, jamf, sccm, landscape or ansible")
    plane = serializers.CharField(help_text="The plane, e.g. Microsoft Intune (Graph)")
    group_word = serializers.CharField(help_text="What the plane calls its groups, e.g. device collections")
    platforms = serializers.ListField(child=serializers.CharField())


class PlaneGroupSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.CharField(help_text="The plane's id of the group")
    name = serializers.CharField(help_text="Its display name")
    value = serializers.CharField(
        help_text="What a ring step's target_group (or target_groups[connector]) takes for it: what the "
        "connector resolves to the group (its name, the collection's name, the tag, the inventory group)"
    )
    member_count = serializers.IntegerField(allow_null=True, help_text="Devices in it, when the plane tells cheaply")


class GroupListSerializer(serializers.Serializer):  # type: ignore[type-arg]
    connector = GroupSourceSerializer()
    query = serializers.CharField(allow_blank=True)
    groups = PlaneGroupSerializer(many=True)
    limit = serializers.IntegerField(help_text="At most this many groups are listed (the first matches, by name)")
    truncated = serializers.BooleanField(help_text="More groups may match: search with more of the name")


def _source(instance: ConnectorInstance) -> dict[str, object]:
    cls = KINDS.get(instance.kind)
    return {
        "id": instance.pk,
        "name": instance.name,
        "kind": instance.kind,
        "plane": cls.label if cls else instance.kind,
        "group_word": groups.GROUP_WORD.get(instance.kind, "groups"),
        "platforms": list(instance.platforms),
    }


class GroupSourcesView(APIView):
    @extend_schema(
        operation_id="connectors_group_sources",
        parameters=[
            OpenApiParameter("platform", str, many=True, description="Platforms to serve (an application's)"),
            OpenApiParameter("boundary", str, description="The boundary to serve (an intent's target boundary)"),
        ],
        responses=GroupSourceSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = groups.serving(
            actor=actor_of(request),
            platforms=request.query_params.getlist("platform"),
            boundary=str(request.query_params.get("boundary", "")),
        )
        return Response(GroupSourceSerializer([_source(r) for r in rows], many=True).data)


class ConnectorGroupsView(APIView):
    @extend_schema(
        operation_id="connectors_groups",
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description=f"Part of the group's name (Intune: its start), at most {groups.MAX_SEARCH} characters",
            )
        ],
        responses=GroupListSerializer,
    )
    def get(self, request: Request, pk: str) -> Response:
        query = str(request.query_params.get("q", ""))
        instance, found = groups.list_groups(actor=actor_of(request), connector_id=pk, search=query)
        body = {
            "connector": _source(instance),
            "query": query.strip(),
            "groups": [vars(g) for g in found],
            "limit": groups.LIMIT,
            "truncated": len(found) >= groups.LIMIT,
        }
        return Response(GroupListSerializer(body).data)
