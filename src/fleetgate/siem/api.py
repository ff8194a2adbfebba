"""SIEM destinations over the API: Platform Admin configures; Platform Admin and Auditor read the status."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer, int_id
from fleetgate.core.errors import PreconditionRequired
from fleetgate.siem import queries, services
from fleetgate.siem.models import SECRET_NAMES, Destination, Format, Kind

IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=True, description="ETag from a previous read (428 without)"
)
SECRETS_HELP = f"Write-only: {', '.join(SECRET_NAMES)} (the HEC token, a bearer token, the TLS client key)."


class SiemDestinationUpdateSerializer(StrictSerializer):
    host = serializers.CharField(max_length=255, required=False)
    port = serializers.IntegerField(min_value=1, max_value=65535, required=False)
    path = serializers.CharField(max_length=300, required=False, allow_blank=True)
    format = serializers.ChoiceField(choices=Format.choices, required=False)
    tls_verify = serializers.BooleanField(required=False)
    tls_ca_pem = serializers.CharField(required=False, allow_blank=True, max_length=65536, trim_whitespace=False)
    tls_server_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    tls_client_cert_pem = serializers.CharField(required=False, allow_blank=True, max_length=65536)
    secrets = serializers.DictField(
        child=serializers.CharField(max_length=65536, allow_blank=True),
        required=False,
        write_only=True,
        help_text=SECRETS_HELP,
    )
    batch_size = serializers.IntegerField(min_value=1, max_value=5000, required=False)


class SiemDestinationWriteSerializer(SiemDestinationUpdateSerializer):
    name = serializers.SlugField(max_length=100)
    kind = serializers.ChoiceField(choices=Kind.choices)
    host = serializers.CharField(max_length=255)
    port = serializers.IntegerField(min_value=1, max_value=65535)
    enabled = serializers.BooleanField(required=False, default=True)


class SiemDestinationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    etag = serializers.CharField(read_only=True)
    secret_names = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Secrets that are set"
    )
    ledger_head = serializers.SerializerMethodField()
    lag = serializers.SerializerMethodField()

    class Meta:
        model = Destination
        fields = [
            "id",
            "name",
            "kind",
            "host",
            "port",
            "path",
            "format",
            "tls_verify",
            "tls_ca_pem",
            "tls_server_name",
            "tls_client_cert_pem",
            "secret_names",
            "batch_size",
            "enabled",
            "acknowledged_sequence",
            "ledger_head",
            "lag",
            "last_success_at",
            "last_attempt_at",
            "last_error",
            "consecutive_failures",
            "failures_total",
            "events_sent_total",
            "next_attempt_at",
            "revision",
            "etag",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _head(self) -> int:
        if "ledger_head" not in self.context:
            self.context["ledger_head"] = queries.ledger_head()
        return int(self.context["ledger_head"])

    @extend_schema_field(serializers.IntegerField(help_text="The ledger's last sequence now"))
    def get_ledger_head(self, obj: Destination) -> int:
        return self._head()

    @extend_schema_field(serializers.IntegerField(help_text="Events still to send: ledger head - acknowledged"))
    def get_lag(self, obj: Destination) -> int:
        return max(0, self._head() - obj.acknowledged_sequence)


class SiemActivationSerializer(StrictSerializer):
    enabled = serializers.BooleanField()


class SiemTestResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    ok = serializers.BooleanField()
    detail = serializers.CharField()
    destination = SiemDestinationSerializer()


class SiemDestinationViewSet(mixins.ListModelMixin, ResourceViewSet):
    serializer_class = SiemDestinationSerializer
    view_permission = "siem.view"
    pagination_class = None

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no signed-in actor
            return Destination.objects.none()
        return queries.destinations(self.actor)

    def _respond(self, destination: Destination, code: int = status.HTTP_200_OK) -> Response:
        return Response(SiemDestinationSerializer(destination).data, status=code, headers={"ETag": destination.etag})

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._respond(queries.destination(self.actor, int_id(pk)))

    @extend_schema(request=SiemDestinationWriteSerializer, responses={201: SiemDestinationSerializer})
    def create(self, request: Request) -> Response:
        body = SiemDestinationWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(services.create(actor=self.actor, data=body.validated_data), status.HTTP_201_CREATED)

    @extend_schema(request=SiemDestinationUpdateSerializer, responses=SiemDestinationSerializer, parameters=[IF_MATCH])
    def partial_update(self, request: Request, pk: str) -> Response:
        etag = request.headers.get("If-Match")
        if not etag:
            raise PreconditionRequired("Send If-Match with the ETag from your last read.")
        body = SiemDestinationUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        destination = services.update(
            actor=self.actor, destination_id=int_id(pk), changes=body.validated_data, expected_etag=etag
        )
        return self._respond(destination)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.delete(actor=self.actor, destination_id=int_id(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=SiemActivationSerializer, responses=SiemDestinationSerializer)
    @action(detail=True, methods=["post"])
    def activation(self, request: Request, pk: str) -> Response:
        body = SiemActivationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(services.set_enabled(actor=self.actor, destination_id=int_id(pk), **body.validated_data))

    @extend_schema(request=None, responses=SiemTestResultSerializer)
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request: Request, pk: str) -> Response:
        outcome = services.send_test(actor=self.actor, destination_id=int_id(pk))
        return Response(SiemTestResultSerializer(outcome).data)
