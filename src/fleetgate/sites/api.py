"""The site registry (Platform Admin writes, everyone reads in scope), the distribution strategy per site
class, and the bundles exported and imported here. Bundles themselves move as files on the host
(`fleetgate bundle ...`): an air-gapped transfer never passes through this API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from fleetgate.api.base import ResourceViewSet, StrictSerializer
from fleetgate.api.pagination import CursorPagination
from fleetgate.core.errors import NotFound, PreconditionRequired
from fleetgate.core.roles import SiteClass
from fleetgate.intents.specs import PLANE_KINDS
from fleetgate.sites import queries
from fleetgate.sites.models import BundleExport, BundleImport, DistributionStrategy, Site
from fleetgate.sites.services import registry

IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=True, description="ETag from a previous read"
)


class SiteSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    etag = serializers.CharField(read_only=True, help_text="send as If-Match to update")

    class Meta:
        model = Site
        fields = ["id", "name", "title", "site_class", "boundary", "plane", "connector_name", "time_zone"]
        fields += ["public_key_pem", "key_id", "active", "revision", "etag", "created_at", "updated_at"]


class SiteWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    site_class = serializers.ChoiceField(choices=SiteClass.choices)
    boundary = serializers.CharField(max_length=64)
    plane = serializers.ChoiceField(choices=[(k, k) for k in PLANE_KINDS])
    connector_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False, default="UTC")
    public_key_pem = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class SiteUpdateSerializer(StrictSerializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    site_class = serializers.ChoiceField(choices=SiteClass.choices, required=False)
    boundary = serializers.CharField(max_length=64, required=False)
    plane = serializers.ChoiceField(choices=[(k, k) for k in PLANE_KINDS], required=False)
    connector_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False)
    public_key_pem = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)


class DistributionStrategySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = DistributionStrategy
        fields = ["site_class", "distribution", "results", "vuln_snapshot_max_age_days", "notes", "policy_version"]
        fields += ["updated_at"]


class BundleExportSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    intent_name = serializers.CharField(source="intent.name", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = BundleExport
        fields = ["id", "kind", "intent", "intent_name", "site", "site_name", "manifest_sha256", "key_id", "size"]
        fields += ["filename", "vuln_snapshot_date", "stale_exception", "created_by", "created_at"]


class BundleImportSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    intent_name = serializers.CharField(source="intent.name", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    imported_by = serializers.CharField(source="imported_by.username", read_only=True)

    class Meta:
        model = BundleImport
        fields = ["id", "kind", "bundle_id", "intent", "intent_name", "site", "site_name", "manifest_sha256"]
        fields += ["signer_key_id", "checks", "rings", "imported_by", "imported_at"]


class SiteViewSet(mixins.ListModelMixin, ResourceViewSet):
    serializer_class = SiteSerializer
    view_permission = "site.view"
    pagination_class = None

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Site.objects.none()
        return queries.sites(self.actor)

    def _respond(self, site: Site, code: int = status.HTTP_200_OK) -> Response:
        return Response(SiteSerializer(site).data, status=code, headers={"ETag": site.etag})

    def retrieve(self, request: Request, pk: str) -> Response:
        site = self.get_queryset().filter(pk=pk).first()
        if site is None:
            raise NotFound(f"No site with id {pk}; list sites to find it.")
        return self._respond(site)

    @extend_schema(request=SiteWriteSerializer, responses={201: SiteSerializer})
    def create(self, request: Request) -> Response:
        body = SiteWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(registry.create_site(actor=self.actor, data=dict(body.validated_data)), 201)

    @extend_schema(request=SiteUpdateSerializer, responses=SiteSerializer, parameters=[IF_MATCH])
    def partial_update(self, request: Request, pk: str) -> Response:
        etag = request.headers.get("If-Match")
        if not etag:
            raise PreconditionRequired("Send If-Match with the ETag from your last read.")
        body = SiteUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        site = registry.update_site(actor=self.actor, site_id=pk, changes=dict(body.validated_data), expected_etag=etag)
        return self._respond(site)


class StrategyViewSet(mixins.ListModelMixin, ResourceViewSet):
    """How each site class is served and how old its vulnerability snapshot may be."""

    serializer_class = DistributionStrategySerializer
    view_permission = "site.view"
    pagination_class = None

    def get_queryset(self) -> Any:
        return queries.strategies()


class BundleExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = BundleExportSerializer
    view_permission = "bundle.view"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return BundleExport.objects.none()
        return queries.exports(self.actor)


class ImportedFirst(CursorPagination):
    ordering = "-imported_at"


class BundleImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = BundleImportSerializer
    view_permission = "bundle.view"
    pagination_class = ImportedFirst

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return BundleImport.objects.none()
        return queries.imports(self.actor)
