"""Webhook targets (Platform Admin) with their delivery log; notifications addressed to me."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer, int_id
from fleetgate.core import permissions
from fleetgate.notifications import queries, services
from fleetgate.notifications.models import EVENTS, Delivery, Notification, WebhookTarget


class TargetWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENTS), required=False, default=list)
    secret = serializers.CharField(required=False, default="", allow_blank=True, max_length=200, write_only=True)


class TargetSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = WebhookTarget
        fields = ["id", "name", "url", "events", "active", "created_by", "created_at"]


class TargetCreatedSerializer(TargetSerializer):
    secret = serializers.CharField(read_only=True, help_text="shown once: verify X-Fleetgate-Signature with it")

    class Meta(TargetSerializer.Meta):
        fields = [*TargetSerializer.Meta.fields, "secret"]


class ActiveSerializer(StrictSerializer):
    active = serializers.BooleanField()


class DeliverySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    event = serializers.CharField(source="notification.event", read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "notification", "event", "status", "attempts", "next_attempt_at", "last_attempt_at"]
        fields += ["response_code", "last_error", "delivered_at", "created_at"]


class WebhookTargetViewSet(mixins.ListModelMixin, ResourceViewSet):
    serializer_class = TargetSerializer
    view_permission = "notification.view"
    pagination_class = None

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no signed-in actor
            return WebhookTarget.objects.none()
        return queries.targets(self.actor)

    @extend_schema(request=TargetWriteSerializer, responses={201: TargetCreatedSerializer})
    def create(self, request: Request) -> Response:
        body = TargetWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target, secret = services.create_target(actor=self.actor, **body.validated_data)
        data = {**TargetSerializer(target).data, "secret": secret}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ActiveSerializer, responses=TargetSerializer)
    @action(detail=True, methods=["post"])
    def activation(self, request: Request, pk: str) -> Response:
        body = ActiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = services.set_target_active(actor=self.actor, target_id=int_id(pk), **body.validated_data)
        return Response(TargetSerializer(target).data)

    @extend_schema(responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        permissions.require(self.actor, "webhook.view")
        rows = queries.deliveries(int_id(pk))[:200]
        return Response(DeliverySerializer(rows, many=True).data)


class NotificationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Notification
        fields = ["id", "event", "subject_type", "subject_id", "payload", "recipients", "correlation_id", "created_at"]


class NotificationViewSet(mixins.ListModelMixin, ResourceViewSet):
    serializer_class = NotificationSerializer
    view_permission = "notification.view"
    filterset_fields = ["event", "subject_type", "subject_id"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return queries.notifications_for(self.actor)
