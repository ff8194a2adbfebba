"""GET /api/v1/search/?q=…: the header's search box. A thin view over `search.queries`."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fleetgate.api.base import actor_of
from fleetgate.core.validation import Issues
from fleetgate.search import queries

MIN_LENGTH, MAX_LENGTH = 2, 128


class HitSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.CharField(help_text="The object's id (a ledger event's sequence number).")
    name = serializers.CharField()
    detail = serializers.CharField()


class GroupSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.CharField(help_text="One of: " + ", ".join(queries.KINDS) + " (in this order).")
    hits = HitSerializer(many=True)
    more = serializers.BooleanField(help_text="More matches exist than are listed; narrow the words.")


class SearchResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    query = serializers.CharField()
    groups = GroupSerializer(many=True)


class SearchView(APIView):
    @extend_schema(
        operation_id="search",
        parameters=[
            OpenApiParameter(
                "q",
                str,
                required=True,
                description=f"{MIN_LENGTH}-{MAX_LENGTH} characters: part of a name or title (applications, intents, "
                "CAB requests by their intent, components by name or package URL), or a correlation id (ledger).",
            )
        ],
        responses=SearchResultSerializer,
    )
    def get(self, request: Request) -> Response:
        text = str(request.query_params.get("q", "")).strip()
        if not MIN_LENGTH <= len(text) <= MAX_LENGTH:
            issues = Issues()
            issues.add("q", "length", f"Type {MIN_LENGTH} to {MAX_LENGTH} characters to search.")
            issues.raise_if_any("Nothing was searched; fix the search words and retry.")
        groups = queries.search(actor_of(request), text)
        return Response(SearchResultSerializer({"query": text, "groups": groups}).data)
