"""Applications, versions and artifact uploads."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer
from fleetgate.api.representation import DirectRepresentation, drf_datetime
from fleetgate.catalog import queries, services
from fleetgate.catalog.models import (
    Application,
    ApplicationVersion,
    Artifact,
    ArtifactFormat,
    BlastRadiusClass,
    Category,
    Platform,
)
from fleetgate.catalog.store import HashingUploadHandler, UploadedHashedFile
from fleetgate.core.errors import ValidationFailed
from fleetgate.core.scoping import reader


class ApplicationSerializer(DirectRepresentation, serializers.ModelSerializer):  # type: ignore[type-arg]
    platforms = serializers.ListField(child=serializers.ChoiceField(choices=Platform.choices))
    business_units = serializers.ListField(child=serializers.CharField())
    version_count = serializers.IntegerField(read_only=True, default=0)

    def represent(self, app: Application) -> dict[str, Any]:
        return {
            "id": str(app.pk),
            "name": app.name,
            "vendor": app.vendor,
            "category": app.category,
            "support_tier": app.support_tier,
            "platforms": list(app.platforms),
            "boundary": app.boundary,
            "business_units": [None if u is None else str(u) for u in app.business_units],
            "privileged_tooling": app.privileged_tooling,
            "version_count": int(getattr(app, "version_count", 0)),
            "created_at": drf_datetime(app.created_at),
            "updated_at": drf_datetime(app.updated_at),
        }

    class Meta:
        model = Application
        fields = [
            "id",
            "name",
            "vendor",
            "category",
            "support_tier",
            "platforms",
            "boundary",
            "business_units",
            "privileged_tooling",
            "version_count",
            "created_at",
            "updated_at",
        ]


class ApplicationWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    vendor = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=Category.choices)
    support_tier = serializers.CharField(max_length=16, required=False)
    platforms = serializers.ListField(child=serializers.ChoiceField(choices=Platform.choices), min_length=1)
    boundary = serializers.CharField(max_length=64)
    business_units = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1)
    privileged_tooling = serializers.BooleanField(required=False, default=False)


class ClassifySerializer(StrictSerializer):
    blast_radius_class = serializers.ChoiceField(choices=BlastRadiusClass.choices)
    reason = serializers.CharField(max_length=2000)


class ArtifactSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)

    class Meta:
        model = Artifact
        fields = ["id", "version", "platform", "format", "filename", "size", "sha256", "uploaded_by", "created_at"]


class VersionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    artifacts = ArtifactSerializer(many=True, read_only=True)

    class Meta:
        model = ApplicationVersion
        fields = ["id", "application", "version", "release_notes", "created_by", "created_at", "artifacts"]


class VersionCreateSerializer(StrictSerializer):
    application = serializers.UUIDField()
    version = serializers.CharField(max_length=64)
    release_notes = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)


class ArtifactUploadSerializer(StrictSerializer):
    version = serializers.UUIDField()
    platform = serializers.ChoiceField(choices=Platform.choices)
    format = serializers.ChoiceField(choices=ArtifactFormat.choices)
    file = serializers.FileField()
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", required=False, help_text="Optional: Fleetgate recomputes it and refuses a mismatch."
    )


class ApplicationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search name or vendor")
    platform = django_filters.CharFilter(method="by_platform")
    business_unit = django_filters.CharFilter(method="by_bu")

    class Meta:
        model = Application
        fields = ["category", "boundary", "privileged_tooling", "support_tier", "name", "blast_radius_class"]

    def search(self, qs: QuerySet[Application], name: str, value: str) -> QuerySet[Application]:
        return qs.filter(Q(name__icontains=value) | Q(vendor__icontains=value))

    def by_platform(self, qs: QuerySet[Application], name: str, value: str) -> QuerySet[Application]:
        return qs.filter(platforms__icontains=f'"{value}"')

    def by_bu(self, qs: QuerySet[Application], name: str, value: str) -> QuerySet[Application]:
        return qs.filter(Q(business_units__icontains=f'"{value}"') | Q(business_units__icontains='"*"'))


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = ApplicationSerializer
    view_permission = "application.view"
    filterset_class = ApplicationFilter
    pagination_class = None

    def get_queryset(self) -> Any:
        return queries.applications(reader(self))

    @extend_schema(request=ApplicationWriteSerializer, responses={201: ApplicationSerializer})
    def create(self, request: Request) -> Response:
        body = ApplicationWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        app = services.create_application(actor=self.actor, data=body.validated_data)
        return Response(ApplicationSerializer(app).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ApplicationWriteSerializer(partial=True), responses=ApplicationSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        body = ApplicationWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        app = services.update_application(actor=self.actor, application_id=pk, data=body.validated_data)  # type: ignore[arg-type]
        return Response(ApplicationSerializer(app).data)

    @extend_schema(request=ClassifySerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def classify(self, request: Request, pk: str) -> Response:
        body = ClassifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        app = services.classify_application(actor=self.actor, application_id=pk, **body.validated_data)  # type: ignore[arg-type]
        return Response(ApplicationSerializer(app).data)


class VersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = VersionSerializer
    view_permission = "application.view"
    filterset_fields = ["application", "version"]

    def get_queryset(self) -> Any:
        return queries.versions(reader(self))

    @extend_schema(request=VersionCreateSerializer, responses={201: VersionSerializer})
    def create(self, request: Request) -> Response:
        body = VersionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = services.create_version(
            actor=self.actor,
            application_id=data["application"],
            version=data["version"],
            release_notes=data["release_notes"],
        )
        return Response(VersionSerializer(row).data, status=status.HTTP_201_CREATED)


class ArtifactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = ArtifactSerializer
    view_permission = "application.view"
    filterset_fields = ["version", "platform", "format", "sha256"]
    parser_classes = [MultiPartParser]  # the only write is a streamed upload

    def get_queryset(self) -> Any:
        return queries.artifacts(reader(self))

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            request.upload_handlers = [HashingUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(request={"multipart/form-data": ArtifactUploadSerializer}, responses={201: ArtifactSerializer})
    def create(self, request: Request) -> Response:
        body = ArtifactUploadSerializer(data=request.data)
        if not body.is_valid():
            _discard(request)
            body.is_valid(raise_exception=True)
        data = body.validated_data
        upload = data["file"]
        if not isinstance(upload, UploadedHashedFile):
            raise ValidationFailed("file must be sent as multipart/form-data.")
        artifact = services.register_artifact(
            actor=self.actor,
            version_id=data["version"],
            platform=data["platform"],
            artifact_format=data["format"],
            filename=upload.name,
            upload=upload.tmp,
            declared_sha256=data.get("sha256"),
        )
        return Response(ArtifactSerializer(artifact).data, status=status.HTTP_201_CREATED)


def _discard(request: Request) -> None:
    for item in request.FILES.values():
        if isinstance(item, UploadedHashedFile):
            item.tmp.discard()
