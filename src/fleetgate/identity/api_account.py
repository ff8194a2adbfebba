"""The signed-in person's own account: display preferences (time zone) and password change.

API tokens are the `tokens` collection (`?mine=true` lists only the caller's); a person creates and
revokes their own there.
"""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fleetgate.api.base import StrictSerializer, actor_of
from fleetgate.api.throttling import LoginThrottle
from fleetgate.identity import queries, services


class PreferencesSerializer(StrictSerializer):
    time_zone = serializers.CharField(
        max_length=64, help_text="An IANA time zone, e.g. Europe/Berlin; times are shown in it (UTC on hover)."
    )


class PasswordChangeSerializer(StrictSerializer):
    current_password = serializers.CharField(max_length=256, trim_whitespace=False)
    new_password = serializers.CharField(
        max_length=256, trim_whitespace=False, help_text="Checked by the installation's password rules."
    )
    revoke_tokens = serializers.BooleanField(
        required=False, default=False, help_text="Also revoke every API token of yours (they keep working otherwise)."
    )


class PasswordChangedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    other_sessions_signed_out = serializers.BooleanField(
        help_text="Always true: every other browser session of yours must sign in again; this one stays signed in."
    )
    tokens_revoked = serializers.IntegerField(help_text="How many of your API tokens were revoked with it.")


class PreferencesView(APIView):
    @extend_schema(responses=PreferencesSerializer, operation_id="me_preferences_read")
    def get(self, request: Request) -> Response:
        return Response({"time_zone": queries.time_zone_of(actor_of(request).user_pk)})

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer, operation_id="me_preferences_update")
    def put(self, request: Request) -> Response:
        body = PreferencesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        prefs = services.set_time_zone(actor=actor_of(request), **body.validated_data)
        return Response({"time_zone": prefs.time_zone})


class PasswordView(APIView):
    throttle_classes = [LoginThrottle]  # per client address, like sign-in: slows guessing the current password
    throttle_scope = "login"

    @extend_schema(request=PasswordChangeSerializer, responses=PasswordChangedSerializer, operation_id="me_password")
    def post(self, request: Request) -> Response:
        body = PasswordChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        revoked = services.change_password(actor=actor_of(request), **body.validated_data)
        if request.auth is None:  # a browser session: keep this one signed in, the others now fail
            user = request.user
            user.refresh_from_db(fields=["password"])  # type: ignore[union-attr]
            update_session_auth_hash(request._request, user)  # type: ignore[arg-type]
        return Response({"other_sessions_signed_out": True, "tokens_revoked": revoked})
