"""The discussion thread of a CAB request over HTTP: list and post comments, and the people a
comment may @mention (for the UI's mention picker). Thin views: services.add_comment writes."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer
from fleetgate.api.pagination import CursorPagination
from fleetgate.approvals import queries, queries_comments, services
from fleetgate.approvals.models import CabComment
from fleetgate.approvals.services.comments import MAX_BODY
from fleetgate.core.errors import FieldIssue, NotFound, ValidationFailed
from fleetgate.core.scoping import reader


class CommentWriteSerializer(StrictSerializer):
    request = serializers.UUIDField(help_text="the CAB request discussed")
    body = serializers.CharField(
        max_length=MAX_BODY, help_text="the comment; @username mentions someone who can read the request"
    )


class CommentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    author = serializers.CharField(source="author.username", read_only=True)
    mentions = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = CabComment
        fields = ["id", "request", "author", "body", "mentions", "created_at"]


class MentionableSerializer(serializers.Serializer):  # type: ignore[type-arg]
    username = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField(), help_text="role names, in words")


class ThreadPagination(CursorPagination):
    """A thread reads oldest first."""

    page_size = 200
    ordering = "created_at"


class CabCommentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = CommentSerializer
    view_permission = "cab.view"
    filterset_fields = ["request", "author"]
    pagination_class = ThreadPagination

    def get_queryset(self) -> Any:
        return queries_comments.comments(reader(self))

    @extend_schema(request=CommentWriteSerializer, responses={201: CommentSerializer})
    def create(self, request: Request) -> Response:
        body = CommentWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if not queries.requests(self.actor).filter(pk=data["request"]).exists():
            raise NotFound(f"No CAB request with id {data['request']} that you can read; open it from the CAB queue.")
        row = services.add_comment(actor=self.actor, request_id=data["request"], body=data["body"])
        return Response(CommentSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("request", str, required=True, description="CAB request id")],
        responses=MentionableSerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def mentionable(self, request: Request) -> Response:
        """The people a comment on this request may mention: everyone active who can read it."""
        raw = request.query_params.get("request", "")
        if not raw:
            raise ValidationFailed(
                "Name the CAB request.", errors=[FieldIssue("request", "required", "Give ?request=.")]
            )
        try:
            pk = uuid.UUID(raw)
        except ValueError:
            raise ValidationFailed(
                "Not a CAB request id.", errors=[FieldIssue("request", "format", "Give a CAB request's id (a UUID).")]
            ) from None
        row = queries.requests(self.actor).filter(pk=pk).first()
        if row is None:
            raise NotFound(f"No CAB request with id {raw} that you can read; open it from the CAB queue.")
        people = sorted(queries_comments.readers(row).values(), key=lambda p: p.username)
        return Response(MentionableSerializer(people, many=True).data)
