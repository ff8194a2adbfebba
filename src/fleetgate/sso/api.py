"""Single sign-on over HTTP: the sign-in options the login page reads, the redirect to the provider, its
callback, RP-initiated sign-out, and the group / app-role → role mapping (Platform Admin).

The callback is reached by a browser: a refusal is kept in the session and the browser is sent to
`/login?sso=failed`, where the login page reads it (once) from the sign-in options and says it in words.
A client that asks for JSON (`Accept: application/json`) gets the RFC 9457 problem itself instead.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import login, logout
from django.http import HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fleetgate import config
from fleetgate.api.base import ResourceViewSet, StrictSerializer, int_id
from fleetgate.api.problems import problem_body
from fleetgate.api.throttling import LoginThrottle
from fleetgate.core.errors import DomainError
from fleetgate.core.roles import Role
from fleetgate.identity.api import SessionView
from fleetgate.sso import oidc, queries, services
from fleetgate.sso.errors import SsoDenied, SsoInvalidState
from fleetgate.sso.models import ClaimKind, GroupMapping

SESSION_KEY = "_fg_sso"  # on a signed-in session: the mapping version it was evaluated at, the id_token
PENDING_KEY = "_fg_sso_pending"  # sign-ins started in this browser: state -> nonce, verifier, next
PROBLEM_KEY = "_fg_sso_problem"  # the last refusal, for the login page to show once
PENDING_MAX = 5
PENDING_TTL_S = 600


def safe_next(raw: str | None) -> str:
    """Only a same-site path is followed after sign-in (no open redirect)."""
    if not raw or not raw.startswith("/") or raw.startswith(("//", "/\\")) or urlsplit(raw).netloc:
        return "/"
    return raw


class SignInOptionsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    sso_enabled = serializers.BooleanField()
    display_name = serializers.CharField(help_text='The sign-in button says "Sign in with <display_name>".')
    login_url = serializers.CharField(allow_null=True, help_text="Send the browser here (add ?next=/path).")
    local_login = serializers.BooleanField(help_text="Password sign-in is open to everyone (else break-glass only).")
    problem = serializers.JSONField(allow_null=True, help_text="The last single sign-on refusal in this browser.")


@method_decorator(ensure_csrf_cookie, name="get")
class SignInOptionsView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(responses=SignInOptionsSerializer, operation_id="sso_options_read")
    def get(self, request: Request) -> Response:
        settings = oidc.settings()
        return Response(
            {
                "sso_enabled": settings.enabled,
                "display_name": settings.display_name,
                "login_url": "/api/v1/auth/sso/login/" if settings.enabled else None,
                "local_login": config.settings.local_login,
                "problem": request.session.pop(PROBLEM_KEY, None),
            }
        )


class LoginStartView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [LoginThrottle]
    throttle_scope = "login"

    @extend_schema(
        parameters=[OpenApiParameter("next", str, description="A path of this site to return to after sign-in.")],
        responses={302: OpenApiResponse(description="To the identity provider's authorization endpoint.")},
        operation_id="sso_login",
    )
    def get(self, request: Request) -> HttpResponseRedirect:
        settings = oidc.require_enabled()
        auth = oidc.authorization(settings)
        pending = {
            k: v
            for k, v in request.session.get(PENDING_KEY, {}).items()
            if v.get("at", 0) > time.time() - PENDING_TTL_S
        }
        pending[auth.state] = {
            "nonce": auth.nonce,
            "code_verifier": auth.code_verifier,
            "next": safe_next(request.query_params.get("next")),
            "at": time.time(),
        }
        request.session[PENDING_KEY] = dict(sorted(pending.items(), key=lambda kv: kv[1]["at"])[-PENDING_MAX:])
        return HttpResponseRedirect(auth.url)


class CallbackView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [LoginThrottle]
    throttle_scope = "login"

    @extend_schema(
        parameters=[
            OpenApiParameter("code", str),
            OpenApiParameter("state", str),
            OpenApiParameter("error", str),
            OpenApiParameter("error_description", str),
        ],
        responses={
            200: OpenApiResponse(description="Signed in (JSON clients): the session, as GET /auth/session/."),
            302: OpenApiResponse(description="Signed in, to `next`; or refused, to /login?sso=failed."),
        },
        operation_id="sso_callback",
    )
    def get(self, request: Request) -> Any:
        wants_json = "json" in request.headers.get("Accept", "")
        pending = request.session.get(PENDING_KEY, {})
        attempt = pending.pop(str(request.query_params.get("state", "")), None)
        request.session[PENDING_KEY] = pending
        try:
            user, version, id_token = self._sign_in(request, attempt)
        except DomainError as exc:
            if wants_json:
                raise
            request.session[PROBLEM_KEY] = problem_body(exc.status, exc.code, exc.title, exc.detail, **exc.extra)
            return HttpResponseRedirect("/login?sso=failed")
        login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_KEY] = {"version": version, "id_token": id_token}
        if wants_json:
            request.user = user
            return SessionView().get(request)
        assert attempt is not None
        return HttpResponseRedirect(attempt["next"])

    def _sign_in(self, request: Request, attempt: dict[str, Any] | None) -> tuple[Any, int, str]:
        settings = oidc.require_enabled()
        if request.query_params.get("error"):
            raise SsoDenied(
                f"The identity provider did not sign you in ({request.query_params.get('error')}: "
                f"{request.query_params.get('error_description') or 'no detail'}). Try again, or ask your "
                "administrator whether you are assigned to Fleetgate at the provider.",
                check=str(request.query_params.get("error")),
            )
        if attempt is None:
            raise SsoInvalidState(
                "This sign-in answer does not match a sign-in started in this browser (or it was used already, "
                "or took longer than 10 minutes). Start the sign-in again from the sign-in page.",
                check="state",
            )
        code = str(request.query_params.get("code", ""))
        token = oidc.exchange(settings, code=code, code_verifier=attempt["code_verifier"])
        claims = oidc.validate(settings, token, nonce=attempt["nonce"])
        groups = None
        if oidc.has_groups_overage(claims, settings.groups_claim):
            groups = oidc.graph_groups(
                settings,
                object_id=str(claims.get("oid") or claims[settings.subject_claim]),
                access_token=str(token.get("access_token", "")),
            )
        user, version = services.sign_in(oidc=settings, issuer=str(claims["iss"]), claims=claims, groups=groups)
        return user, version, str(token["id_token"])


class LogoutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    end_session_url = serializers.CharField(
        allow_null=True, help_text="Send the browser here to sign out at the identity provider too (null: done)."
    )


class SsoLogoutView(APIView):
    @extend_schema(request=None, responses=LogoutSerializer, operation_id="sso_logout")
    def post(self, request: Request) -> Response:
        data = request.session.get(SESSION_KEY)
        logout(request._request)
        url = None
        settings = oidc.settings()
        if data and settings.enabled:
            after = settings.post_logout_redirect_uri or request.build_absolute_uri("/login")
            url = oidc.end_session_url(settings, id_token=data["id_token"], post_logout_redirect_uri=after)
        return Response({"end_session_url": url})


class MappingSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    business_units = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = GroupMapping
        fields = ["id", "kind", "value", "role", "boundary", "business_units", "description", "created_at"]
        fields += ["updated_at"]


class MappingWriteSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=ClaimKind.choices, default=ClaimKind.GROUP)
    value = serializers.CharField(max_length=256, help_text="The group's object id, or the app role's value.")
    role = serializers.ChoiceField(choices=Role.choices)
    boundary = serializers.CharField(max_length=64, default="*")
    business_units = serializers.ListField(child=serializers.CharField(max_length=64), default=["*"])
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class MappingPatchSerializer(MappingWriteSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class MappingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = MappingSerializer
    view_permission = "sso.mapping.view"
    pagination_class = None

    def get_queryset(self) -> Any:
        return queries.mappings()

    @extend_schema(request=MappingWriteSerializer, responses={201: MappingSerializer})
    def create(self, request: Request) -> Response:
        body = MappingWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.create_mapping(actor=self.actor, **body.validated_data)
        return Response(MappingSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MappingPatchSerializer, responses=MappingSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        body = MappingPatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.update_mapping(actor=self.actor, mapping_id=int_id(pk), **body.validated_data)
        return Response(MappingSerializer(row).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.delete_mapping(actor=self.actor, mapping_id=int_id(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
