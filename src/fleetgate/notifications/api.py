"""Webhook targets (Platform Admin) with their delivery log; notifications addressed to me."""

from __future__ import annotations

from typing import Any

import django_filters
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


class TargetUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False)
    url = serializers.URLField(max_length=500, required=False)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENTS), required=False)


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

    @extend_schema(request=TargetUpdateSerializer, responses=TargetSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        body = TargetUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = services.update_target(actor=self.actor, target_id=int_id(pk), changes=dict(body.validated_data))
        return Response(TargetSerializer(target).data)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request: Request, pk: str) -> Response:
        """Queue a signed test delivery to this target; follow it in the delivery log."""
        delivery = services.send_test(actor=self.actor, target_id=int_id(pk))
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

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
    read = serializers.BooleanField(read_only=True, help_text="whether you marked it read")

    class Meta:
        model = Notification
        fields = ["id", "event", "subject_type", "subject_id", "payload", "recipients", "correlation_id", "created_at"]
        fields += ["read"]


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(method="only_unread", label="only those you have not read (true)")

    class Meta:
        model = Notification
        fields = ["event", "subject_type", "subject_id"]

    def only_unread(self, qs: Any, name: str, value: bool | None) -> Any:
        return qs if value is None else qs.filter(read=not value)


class MarkedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    marked = serializers.IntegerField(help_text="how many were unread")


class UnreadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    unread = serializers.IntegerField()


class NotificationViewSet(mixins.ListModelMixin, ResourceViewSet):
    serializer_class = NotificationSerializer
    view_permission = "notification.view"
    filterset_class = NotificationFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return queries.with_read_state(self.actor, queries.notifications_for(self.actor))

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        services.mark_read(actor=self.actor, notification_id=int_id(pk))
        return Response(NotificationSerializer(self.get_queryset().get(pk=int_id(pk))).data)

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": services.mark_all_read(actor=self.actor)})

    @extend_schema(responses=UnreadSerializer, filters=False)
    @action(detail=False, methods=["get"], url_path="unread-count", filterset_class=None, pagination_class=None)
    def unread_count(self, request: Request) -> Response:
        return Response({"unread": queries.unread_count(self.actor)})
