"""POST /api/v1/intents/apply/: a YAML manifest of intents, dry run or applied (the CLI's `apply -f` and
the console's Apply page both call it)."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fleetgate.api.base import StrictSerializer, actor_of
from fleetgate.intents import services

MAX_MANIFEST = 256 * 1024


class ManifestApplySerializer(StrictSerializer):
    manifest = serializers.CharField(
        max_length=MAX_MANIFEST,
        trim_whitespace=False,
        help_text="YAML: one or more DeploymentIntent documents, as `fleetgate apply -f` reads them.",
    )
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="true: report what would change and change nothing."
    )


class FieldChangeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    field = serializers.CharField(help_text="The manifest's field path, e.g. ring_plan[1].device_count.")
    before = serializers.JSONField(allow_null=True, help_text="null: the field is new.")
    after = serializers.JSONField(allow_null=True, help_text="null: the field goes away.")


class ManifestOutcomeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    document = serializers.IntegerField(help_text="1 for the first document of the file.")
    line = serializers.IntegerField(help_text="The line the document starts on.")
    name = serializers.CharField()
    action = serializers.ChoiceField(choices=[("create", "create"), ("update", "update"), ("unchanged", "unchanged")])
    changes = FieldChangeSerializer(many=True)
    diff = serializers.CharField(help_text="The same change as a unified diff of the YAML.")
    intent_id = serializers.UUIDField(allow_null=True, help_text="null for an intent a dry run would create.")


class ManifestResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    dry_run = serializers.BooleanField()
    documents = ManifestOutcomeSerializer(many=True)


class ManifestApplyView(APIView):
    @extend_schema(
        request=ManifestApplySerializer,
        responses=ManifestResultSerializer,
        operation_id="intents_apply",
        description="Create or update one intent per document, all or nothing. A problem names every wrong field "
        "as documents[i].path, and `lines` maps each such field to its line in the manifest.",
    )
    def post(self, request: Request) -> Response:
        body = ManifestApplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        text, dry_run = body.validated_data["manifest"], body.validated_data["dry_run"]
        outcomes = services.apply_manifest(actor=actor_of(request), text=text, dry_run=dry_run)
        data = {"dry_run": dry_run, "documents": [asdict(o) for o in outcomes]}
        return Response(ManifestResultSerializer(data).data)
