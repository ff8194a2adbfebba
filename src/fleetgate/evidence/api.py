"""Evidence over HTTP: streamed uploads, components, trusted keys, seal keys and sealed packs."""

from __future__ import annotations

import json
from typing import Any

import django_filters
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer
from fleetgate.api.pagination import CursorPagination
from fleetgate.catalog.store import HashedTempFile, HashingUploadHandler, UploadedHashedFile
from fleetgate.core import permissions
from fleetgate.core.errors import ValidationFailed
from fleetgate.core.scoping import reader
from fleetgate.evidence import completeness, queries, readiness, services
from fleetgate.evidence.documents import Kind
from fleetgate.evidence.models import EvidenceItem, EvidencePack, SbomComponent, SealKey, TrustedKey


class EvidenceTempFile(HashedTempFile):
    """The artifact temp file, whose 413 names the evidence cap (not a setting that cannot raise it)."""

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self.limit:
            self.discard()
            raise services.too_large(self.limit)
        super().write(chunk)


class EvidenceUploadHandler(HashingUploadHandler):
    """Streams like artifact uploads, with the (smaller) evidence size limit."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        FileUploadHandler.new_file(self, *args, **kwargs)
        self.tmp = EvidenceTempFile(min(services.MAX_EVIDENCE_BYTES, settings.FLEETGATE_MAX_UPLOAD_BYTES))


class EvidenceSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    verified = serializers.SerializerMethodField(help_text="verified: Fleetgate checked it; declared: it could not")

    class Meta:
        model = EvidenceItem
        fields = ["id", "artifact", "kind", "slot", "format", "status", "verified", "filename", "sha256", "size"]
        fields += ["current", "summary", "created_by", "created_at"]

    def get_verified(self, item: EvidenceItem) -> bool:
        return item.status == "verified"


class EvidenceUploadSerializer(StrictSerializer):
    artifact = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=[(k.value, k.value) for k in Kind])
    file = serializers.FileField()
    binding = serializers.ChoiceField(
        choices=[(b, b) for b in services.BINDINGS],
        default="digest",
        help_text="digest: the document names the artifact (or its SBOM) by digest. declared: the packager "
        "binds a vulnerability scan that names no digest (trivy fs, grype dir:) to this artifact; recorded as "
        "binding 'declared' in the evidence summary and the sealed pack.",
    )


class CompletenessQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    artifact = serializers.UUIDField()
    intent = serializers.UUIDField(required=False, allow_null=True, help_text="the intent the pack would be sealed for")


class CheckStateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    check = serializers.ChoiceField(choices=completeness.CHECKS)
    state = serializers.ChoiceField(
        choices=["passed", "failed", "at_seal", "needs_intent"],
        help_text="at_seal: re-hashing the stored artifact is done when sealing; needs_intent: give `intent`",
    )


class GapSerializer(serializers.Serializer):  # type: ignore[type-arg]
    check = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=[str(k) for k in Kind], allow_null=True, help_text="the kind of evidence that mends the gap, if any"
    )


class CompletenessSerializer(serializers.Serializer):  # type: ignore[type-arg]
    artifact = serializers.UUIDField()
    intent = serializers.UUIDField(allow_null=True)
    ready = serializers.BooleanField(help_text="sealing for `intent` passes every check run here (false without one)")
    checks = CheckStateSerializer(many=True)
    gaps = GapSerializer(many=True)


class EvidenceFilter(django_filters.FilterSet):
    class Meta:
        model = EvidenceItem
        fields = ["artifact", "kind", "status", "current"]


class EvidenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = EvidenceSerializer
    view_permission = "evidence.view"
    filterset_class = EvidenceFilter
    parser_classes = [MultiPartParser]

    def get_queryset(self) -> Any:
        return queries.items(reader(self))

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            request.upload_handlers = [EvidenceUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(parameters=[CompletenessQuerySerializer], responses=CompletenessSerializer, filters=False)
    @action(detail=False, methods=["get"])
    def completeness(self, request: Request) -> Response:
        """What is still missing before the artifact's pack can be sealed (for an intent, or evidence only)."""
        query = CompletenessQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = readiness.completeness_of(
            self.actor, query.validated_data["artifact"], query.validated_data.get("intent")
        )
        return Response(CompletenessSerializer(data).data)

    @extend_schema(request={"multipart/form-data": EvidenceUploadSerializer}, responses={201: EvidenceSerializer})
    def create(self, request: Request) -> Response:
        body = EvidenceUploadSerializer(data=request.data)
        if not body.is_valid():
            for item in request.FILES.values():
                if isinstance(item, UploadedHashedFile):
                    item.tmp.discard()
            body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        if not isinstance(upload, UploadedHashedFile):
            raise ValidationFailed("file must be sent as multipart/form-data.")
        item = services.add_evidence(
            actor=self.actor,
            artifact_id=body.validated_data["artifact"],
            kind=body.validated_data["kind"],
            filename=upload.name,
            upload=upload.tmp,
            binding=body.validated_data["binding"],
        )
        return Response(EvidenceSerializer(item).data, status=status.HTTP_201_CREATED)


class ComponentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    application = serializers.CharField(source="artifact.version.application.name", read_only=True)
    application_version = serializers.CharField(source="artifact.version.version", read_only=True)
    artifact_sha256 = serializers.CharField(source="artifact.sha256", read_only=True)

    class Meta:
        model = SbomComponent
        fields = ["name", "version", "purl", "licenses", "hashes", "artifact", "artifact_sha256"]
        fields += ["application", "application_version", "evidence"]


class ComponentFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="iexact")
    purl = django_filters.CharFilter(field_name="purl", lookup_expr="startswith")

    class Meta:
        model = SbomComponent
        fields = ["name", "version", "purl", "artifact"]


class ComponentPagination(CursorPagination):
    ordering = ("name", "version", "id")  # type: ignore[assignment]


class ComponentViewSet(mixins.ListModelMixin, ResourceViewSet):
    """Which artifacts contain component X version Y? `GET /components/?name=X&version=Y`."""

    pagination_class = ComponentPagination
    serializer_class = ComponentSerializer
    view_permission = "evidence.view"
    filterset_class = ComponentFilter

    def get_queryset(self) -> Any:
        return queries.components(reader(self))


class TrustedKeySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    kind = serializers.CharField(read_only=True, help_text="public_key or x509_root")
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = TrustedKey
        fields = ["key_id", "name", "publisher", "kind", "algorithm", "pem", "not_before", "expires_at"]
        fields += ["revoked_at", "created_by", "created_at"]


class TrustedKeyWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    publisher = serializers.CharField(max_length=200)
    pem = serializers.CharField(
        max_length=20000, help_text="PEM public key (Ed25519, P-256, RSA >= 3072) or X.509 root"
    )
    not_before = serializers.DateTimeField(required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class KeyReasonSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class TrustedKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = TrustedKeySerializer
    view_permission = "evidence.view"
    lookup_value_regex = r"[0-9a-f]{16,64}"
    pagination_class = None

    def get_queryset(self) -> Any:
        return queries.trusted_keys()

    @extend_schema(request=TrustedKeyWriteSerializer, responses={201: TrustedKeySerializer})
    def create(self, request: Request) -> Response:
        body = TrustedKeyWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.register_key(actor=self.actor, **body.validated_data)
        return Response(TrustedKeySerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=KeyReasonSerializer, responses=TrustedKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        body = KeyReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.revoke_key(actor=self.actor, key_id=pk, reason=body.validated_data["reason"])
        return Response(TrustedKeySerializer(row).data)


class SealKeySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = SealKey
        fields = ["key_id", "public_pem", "activated_at", "retired_at"]


class SealKeyViewSet(mixins.ListModelMixin, ResourceViewSet):
    """The installation's sealing public keys, current and retired: what `evidence verify --public-key` needs."""

    serializer_class = SealKeySerializer
    view_permission = "evidence.view"
    pagination_class = None

    def get_queryset(self) -> Any:
        return queries.seal_keys()

    @extend_schema(request=KeyReasonSerializer, responses={201: SealKeySerializer})
    @action(detail=False, methods=["post"])
    def rotate(self, request: Request) -> Response:
        body = KeyReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.rotate_seal_key(actor=self.actor, reason=body.validated_data["reason"])
        return Response(SealKeySerializer(row).data, status=status.HTTP_201_CREATED)


class PackSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    sealed_by = serializers.CharField(source="sealed_by.username", read_only=True)
    intent_name = serializers.CharField(source="intent.name", read_only=True)

    class Meta:
        model = EvidencePack
        fields = ["id", "intent", "intent_name", "artifact", "version", "sha256", "key_id", "supersedes"]
        fields += ["sealed_by", "sealed_at"]


class SealRequestSerializer(StrictSerializer):
    intent = serializers.UUIDField()
    artifact = serializers.UUIDField()


class CheckSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField()


class VerifyReportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    ok = serializers.BooleanField()
    sha256 = serializers.CharField()
    key_id = serializers.CharField()
    pinned = serializers.BooleanField()
    failed_check = serializers.CharField(allow_null=True)
    checks = CheckSerializer(many=True)


class PackPagination(CursorPagination):
    ordering = "-sealed_at"


class EvidencePackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    pagination_class = PackPagination
    serializer_class = PackSerializer
    view_permission = "evidence.view"
    filterset_fields = ["intent", "artifact", "version", "sha256"]

    def get_queryset(self) -> Any:
        return queries.packs(reader(self))

    @extend_schema(request=SealRequestSerializer, responses={201: PackSerializer})
    def create(self, request: Request) -> Response:
        body = SealRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pack = services.seal_pack(
            actor=self.actor, intent_id=body.validated_data["intent"], artifact_id=body.validated_data["artifact"]
        )
        return Response(PackSerializer(pack).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, "The sealed pack")})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> HttpResponse:
        pack = self.get_object()
        response = HttpResponse(pack.sealed_json, content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="evidence-pack-{pack.pk}-v{pack.version}.json"'
        response["ETag"] = f'"{pack.sha256}"'
        return response

    @extend_schema(request=None, responses=VerifyReportSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str) -> Response:
        permissions.require(self.actor, "evidence.verify")
        pack = self.get_object()  # out of scope: 404
        report = services.verify_pack(actor=self.actor, pack_id=pack.pk)
        return Response(VerifyReportSerializer(report.as_dict()).data)


def pack_body(pack: EvidencePack) -> dict[str, Any]:
    return dict(json.loads(pack.sealed_json)["body"])
