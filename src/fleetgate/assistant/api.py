"""The assistant over HTTP: five features (each answer carries its citations), the interaction records
(Auditors see all, others their own) and provider configuration (Platform Admin only; keys never returned).

A feature request with `"stream": true` answers `text/event-stream`: `delta` events carrying text as the
provider produces it, then one `answer` event with the same body the non-streaming call returns.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

from django.db import close_old_connections, connection
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer
from fleetgate.assistant import engine, queries, services
from fleetgate.assistant.models import Interaction, Kind, ProviderConfig
from fleetgate.core import correlation, permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import DomainError


class CitationSerializer(serializers.Serializer):  # type: ignore[type-arg]
    type = serializers.CharField()
    id = serializers.CharField()
    title = serializers.CharField()
    link = serializers.CharField(help_text="Path in the web UI")


class AnswerSerializer(serializers.Serializer):  # type: ignore[type-arg]
    interaction = serializers.UUIDField(source="interaction.pk")
    feature = serializers.CharField(source="interaction.feature")
    text = serializers.CharField()
    citations = CitationSerializer(many=True)
    draft = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="draft-cab-note only: the fields of a CAB submission, for the human to edit and submit",
    )
    provider = serializers.CharField(source="interaction.provider")
    model = serializers.CharField(source="interaction.model")
    tokens_in = serializers.IntegerField(source="interaction.tokens_in")
    tokens_out = serializers.IntegerField(source="interaction.tokens_out")
    scrubbed = serializers.DictField(source="interaction.scrubbed", child=serializers.IntegerField())


class StreamMixin(StrictSerializer):
    stream = serializers.BooleanField(required=False, default=False)


class RiskRequest(StreamMixin):
    assessment_id = serializers.UUIDField(required=False)
    intent_id = serializers.UUIDField(required=False)


class EvidenceRequest(StreamMixin):
    pack_id = serializers.UUIDField(required=False)
    intent_id = serializers.UUIDField(required=False)


class IntentRequest(StreamMixin):
    intent_id = serializers.UUIDField()


class RingRequest(StreamMixin):
    intent_id = serializers.UUIDField()
    ring = serializers.CharField(required=False, max_length=32)


class AskRequest(StreamMixin):
    question = serializers.CharField(max_length=2000)


def _one_of(data: dict[str, Any], *names: str) -> None:
    if not any(data.get(n) for n in names):
        raise serializers.ValidationError({names[0]: [f"Give one of: {', '.join(names)}."]})


def _answer_body(answer: engine.Answer) -> dict[str, Any]:
    return dict(AnswerSerializer(answer).data)


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n".encode()


def _stream(feature: str, actor: Actor, args: dict[str, Any]) -> Iterator[bytes]:
    """Run the feature on a worker thread; pass its deltas on as they come."""
    pipe: queue.Queue[tuple[str, Any]] = queue.Queue()
    corr = correlation.current()

    def work(own_thread: bool = True) -> None:
        correlation.bind(corr)  # the thread's events carry the request's correlation id
        try:
            answer = engine.run(feature, actor=actor, on_delta=lambda text: pipe.put(("delta", {"text": text})), **args)
            pipe.put(("answer", _answer_body(answer)))
        except DomainError as exc:
            pipe.put(("error", {"type": exc.code, "title": exc.title, "status": exc.status, "detail": exc.detail}))
        finally:
            if own_thread:
                close_old_connections()  # the worker thread's own connection
            pipe.put(("end", None))

    if connection.in_atomic_block:
        # The caller holds a transaction (a test, or ATOMIC_REQUESTS): a second connection on a worker
        # thread would wait forever on the rows it locked (the ledger head on PostgreSQL). Work inline;
        # the deltas then arrive together.
        work(own_thread=False)
    else:
        threading.Thread(target=work, daemon=True).start()
    while True:
        event, data = pipe.get()
        if event == "end":
            return
        yield _sse(event, data)


# A feature answers JSON, or server-sent events when the request asks for "stream": true.
ANSWER = {(200, "application/json"): AnswerSerializer, (200, "text/event-stream"): OpenApiTypes.ANY}


class EventStreamRenderer(JSONRenderer):
    """Lets a client that accepts only `text/event-stream` (and problems) through content negotiation
    (else a 406). A streamed answer bypasses renderers and a problem sets its own content type, so what
    this renders is always JSON."""

    media_type = "text/event-stream"
    format = "event-stream"


class AssistantViewSet(ResourceViewSet):
    """POST a feature; the answer cites every record it used."""

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def _run(
        self, request: Request, feature: str, serializer_class: type[StrictSerializer], required: tuple[str, ...] = ()
    ) -> Any:
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if required:
            _one_of(data, *required)
        stream = data.pop("stream", False)
        args = {k: v for k, v in data.items() if v not in (None, "")}
        permissions.require(self.actor, "assistant.view")
        if stream:
            response = StreamingHttpResponse(_stream(feature, self.actor, args), content_type="text/event-stream")
            response["Cache-Control"] = "no-cache"
            return response
        return Response(_answer_body(engine.run(feature, actor=self.actor, **args)))

    @extend_schema(request=RiskRequest, responses=ANSWER, operation_id="assistant_explain_risk")
    @action(detail=False, methods=["post"], url_path="explain-risk")
    def explain_risk(self, request: Request) -> Any:
        return self._run(request, "explain_risk", RiskRequest, ("assessment_id", "intent_id"))

    @extend_schema(request=EvidenceRequest, responses=ANSWER, operation_id="assistant_summarise_evidence")
    @action(detail=False, methods=["post"], url_path="summarise-evidence")
    def summarise_evidence(self, request: Request) -> Any:
        return self._run(request, "summarise_evidence", EvidenceRequest, ("pack_id", "intent_id"))

    @extend_schema(request=IntentRequest, responses=ANSWER, operation_id="assistant_draft_cab_note")
    @action(detail=False, methods=["post"], url_path="draft-cab-note")
    def draft_cab_note(self, request: Request) -> Any:
        return self._run(request, "draft_cab_note", IntentRequest)

    @extend_schema(request=RingRequest, responses=ANSWER, operation_id="assistant_explain_ring")
    @action(detail=False, methods=["post"], url_path="explain-ring")
    def explain_ring(self, request: Request) -> Any:
        return self._run(request, "explain_ring", RingRequest)

    @extend_schema(request=AskRequest, responses=ANSWER, operation_id="assistant_ask")
    @action(detail=False, methods=["post"])
    def ask(self, request: Request) -> Any:
        return self._run(request, "ask", AskRequest)


class InteractionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Interaction
        fields = [
            "id",
            "feature",
            "subject_type",
            "subject_id",
            "question",
            "channel",
            "actor",
            "prompt",
            "retrieved",
            "citations",
            "draft",
            "provider",
            "provider_kind",
            "model",
            "parameters",
            "output",
            "tokens_in",
            "tokens_out",
            "scrubbed",
            "status",
            "error",
            "duration_ms",
            "created_at",
        ]


class InteractionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    """What the assistant was asked and answered, reproducibly. Auditors see all; others their own."""

    serializer_class = InteractionSerializer
    view_permission = "assistant.view"
    queryset = Interaction.objects.none()  # the schema's view of the model; requests use get_queryset

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Interaction.objects.none()
        return queries.interactions_visible_to(self.actor)


class ProviderSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    has_key = serializers.BooleanField(read_only=True)
    tokens_used_today = serializers.SerializerMethodField()

    class Meta:
        model = ProviderConfig
        fields = [
            "name",
            "kind",
            "base_url",
            "model",
            "parameters",
            "timeout_s",
            "max_retries",
            "daily_token_budget",
            "scrub_policy",
            "active",
            "has_key",
            "tokens_used_today",
            "revision",
            "created_at",
            "updated_at",
        ]

    def get_tokens_used_today(self, obj: ProviderConfig) -> int:
        annotated = getattr(obj, "tokens_today", None)  # queries.providers() sums it for every row at once
        return int(annotated) if annotated is not None else queries.tokens_used_today(obj.name)


class ProviderWriteSerializer(StrictSerializer):
    name = serializers.SlugField(max_length=64)
    kind = serializers.ChoiceField(choices=Kind.choices)
    base_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    model = serializers.CharField(max_length=128, required=False, allow_blank=True)
    parameters = serializers.DictField(required=False)
    api_key = serializers.CharField(max_length=4096, required=False, allow_blank=True, write_only=True)
    timeout_s = serializers.FloatField(required=False)
    max_retries = serializers.IntegerField(required=False, min_value=0)
    daily_token_budget = serializers.IntegerField(required=False, min_value=0)
    scrub_policy = serializers.DictField(required=False)
    active = serializers.BooleanField(required=False)


class ProviderUpdateSerializer(ProviderWriteSerializer):
    name = None  # type: ignore[assignment]
    kind = None  # type: ignore[assignment]


class ProviderViewSet(ResourceViewSet):
    """Model providers (Platform Admin configures; Auditors may read). The API key is write-only."""

    serializer_class = ProviderSerializer
    view_permission = "assistant.provider.view"
    lookup_field = "name"
    pagination_class = None  # a handful of providers: the list is not paged

    def get_queryset(self) -> Any:
        return queries.providers()

    def list(self, request: Request) -> Response:
        return Response(ProviderSerializer(self.get_queryset(), many=True).data)

    def retrieve(self, request: Request, name: str | None = None) -> Response:
        return Response(ProviderSerializer(self.get_object()).data)

    @extend_schema(request=ProviderWriteSerializer, responses={201: ProviderSerializer})
    def create(self, request: Request) -> Response:
        permissions.require(self.actor, "assistant.provider.configure")
        body = ProviderWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.create_provider(actor=self.actor, data=dict(body.validated_data))
        return Response(ProviderSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProviderUpdateSerializer, responses=ProviderSerializer)
    def partial_update(self, request: Request, name: str | None = None) -> Response:
        permissions.require(self.actor, "assistant.provider.configure")
        body = ProviderUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.update_provider(actor=self.actor, name=str(name), data=dict(body.validated_data))
        return Response(ProviderSerializer(row).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, name: str | None = None) -> Response:
        services.delete_provider(actor=self.actor, name=str(name))
        return Response(status=status.HTTP_204_NO_CONTENT)
