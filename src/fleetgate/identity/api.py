"""Sessions, who-am-I, users, API tokens and role-grant requests."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import login, logout
from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fleetgate.api.base import ResourceViewSet, StrictSerializer, actor_of, int_id
from fleetgate.api.throttling import LoginThrottle
from fleetgate.core.roles import Role
from fleetgate.identity import queries, services
from fleetgate.identity.models import ApiToken, RoleGrantRequest


class RoleGrantSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices)
    boundary = serializers.CharField(max_length=64, default="*")
    business_units = serializers.ListField(child=serializers.CharField(max_length=64), default=["*"])


class RoleGrantReadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    role = serializers.ChoiceField(choices=Role.choices)
    boundary = serializers.CharField()
    business_units = serializers.ListField(child=serializers.CharField())


class UserSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    service_account = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()

    def get_service_account(self, user: Any) -> bool:
        return hasattr(user, "service_account")

    @extend_schema_field(RoleGrantReadSerializer(many=True))
    def get_roles(self, user: Any) -> list[dict[str, Any]]:
        return [b.as_dict() for b in user.role_bindings.all()]


class UserCreateSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        write_only=True,
        max_length=256,
        required=False,
        default="",
        allow_blank=True,
        help_text="Required unless service_account.",
    )
    email = serializers.EmailField(required=False, default="")
    roles = RoleGrantSerializer(many=True, required=False, default=list)
    service_account = serializers.BooleanField(
        required=False, default=False, help_text="A non-human account: no roles, no password sign-in."
    )
    description = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)


class RolesSerializer(StrictSerializer):
    roles = RoleGrantSerializer(many=True)


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class MeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.CharField()
    username = serializers.CharField()
    kind = serializers.CharField()
    roles = RoleGrantSerializer(many=True)
    time_zone = serializers.CharField(help_text="The IANA zone this person has times shown in (UTC until chosen).")


class SessionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    authenticated = serializers.BooleanField()
    user = MeSerializer(allow_null=True)


class LoginSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256)


class TokenSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    username = serializers.CharField(source="user.username", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "key_id",
            "username",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "is_active",
        ]


class TokenCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    user = serializers.IntegerField(
        required=False, help_text="A service account's id (Platform Admin only); people create their own tokens."
    )


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret. Shown once; store it now.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]


def _me(request: Request) -> dict[str, Any]:
    actor = actor_of(request)
    return {
        "id": actor.id,
        "username": actor.name,
        "kind": actor.kind,
        "roles": [
            {"role": g.role.value, "boundary": g.scope.boundary, "business_units": sorted(g.scope.business_units)}
            for g in actor.grants
        ],
        "time_zone": queries.time_zone_of(actor.user_pk),
    }


@method_decorator(ensure_csrf_cookie, name="get")
class SessionView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=SessionSerializer, operation_id="session_read")
    def get(self, request: Request) -> Response:
        if request.user is None or not request.user.is_authenticated:
            return Response({"authenticated": False, "user": None})
        return Response({"authenticated": True, "user": _me(request)})


@method_decorator(csrf_protect, name="post")
class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [LoginThrottle]  # per client address: slows password guessing
    throttle_scope = "login"

    @extend_schema(request=LoginSerializer, responses=SessionSerializer, operation_id="session_login")
    def post(self, request: Request) -> Response:
        body = LoginSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            user = services.sign_in(request._request, **body.validated_data)
        except services.WrongCredentials:
            from rest_framework.exceptions import AuthenticationFailed

            raise AuthenticationFailed("Wrong username or password.") from None
        login(request._request, user)
        request.user = user
        return Response({"authenticated": True, "user": _me(request)})


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None}, operation_id="session_logout")
    def post(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses=MeSerializer, operation_id="me_read")
    def get(self, request: Request) -> Response:
        return Response(_me(request))


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    serializer_class = UserSerializer
    view_permission = "user.view"
    pagination_class = None
    filterset_fields = ["username", "is_active"]

    def get_queryset(self) -> Any:
        return queries.users()

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request: Request) -> Response:
        body = UserCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.create_user(actor=self.actor, **body.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RolesSerializer, responses=UserSerializer)
    @action(detail=True, methods=["put"])
    def roles(self, request: Request, pk: str) -> Response:
        body = RolesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.set_roles(actor=self.actor, user_id=int_id(pk), roles=body.validated_data["roles"])
        return Response(UserSerializer(user).data)

    @extend_schema(request=ReasonSerializer, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str) -> Response:
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.set_active(actor=self.actor, user_id=int_id(pk), active=False, **body.validated_data)
        return Response(UserSerializer(user).data)


class TokenFilter(django_filters.FilterSet):
    mine = django_filters.BooleanFilter(method="only_mine", help_text="true: only the caller's own tokens.")

    class Meta:
        model = ApiToken
        fields: list[str] = []

    def only_mine(self, qs: QuerySet[ApiToken], name: str, value: bool) -> QuerySet[ApiToken]:
        actor = actor_of(self.request)  # type: ignore[arg-type]
        if not value:
            return qs
        return qs.filter(user_id=actor.user_pk) if actor.user_pk is not None else qs.none()


class TokenViewSet(mixins.ListModelMixin, ResourceViewSet):
    serializer_class = TokenSerializer
    pagination_class = None
    filterset_class = TokenFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return queries.tokens_visible_to(self.actor)

    @extend_schema(request=TokenCreateSerializer, responses={201: TokenCreatedSerializer})
    def create(self, request: Request) -> Response:
        body = TokenCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        token, secret = services.create_token(
            actor=self.actor,
            user_id=data.get("user", request.user.pk),
            name=data["name"],
            days=data.get("days"),
        )
        return Response({**TokenSerializer(token).data, "token": secret}, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=TokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token = services.revoke_token(actor=self.actor, token_id=int_id(pk), **body.validated_data)
        return Response(TokenSerializer(token).data)


@extend_schema_serializer(component_name="PendingRoleGrant")  # "RoleGrantRequest" is RoleGrant's request body
class RoleGrantRequestSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    username = serializers.CharField(source="user.username", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True)
    business_units = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = RoleGrantRequest
        fields = [
            "id",
            "user",
            "username",
            "role",
            "boundary",
            "business_units",
            "reason",
            "state",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]


class RoleGrantRequestCreateSerializer(StrictSerializer):
    user = serializers.IntegerField(help_text="The id of the user who would receive the role.")
    role = serializers.ChoiceField(choices=Role.choices)
    boundary = serializers.CharField(max_length=64, default="*")
    business_units = serializers.ListField(child=serializers.CharField(max_length=64), default=["*"])
    reason = serializers.CharField(max_length=2000)


class RequiredReasonSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000)


class RoleGrantRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ResourceViewSet):
    """Dual control: a Platform Admin requests CAB Approver, Security Reviewer or Platform Admin for
    someone; a different Platform Admin approves."""

    serializer_class = RoleGrantRequestSerializer
    view_permission = "user.view"
    pagination_class = None
    filterset_fields = ["state", "role", "user"]

    def get_queryset(self) -> Any:
        return queries.grant_requests()

    @extend_schema(request=RoleGrantRequestCreateSerializer, responses={201: RoleGrantRequestSerializer})
    def create(self, request: Request) -> Response:
        body = RoleGrantRequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = services.request_grant(
            actor=self.actor,
            user_id=data["user"],
            role=data["role"],
            boundary=data["boundary"],
            business_units=data["business_units"],
            reason=data["reason"],
        )
        return Response(RoleGrantRequestSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=RoleGrantRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.approve_grant(actor=self.actor, request_id=int_id(pk), **body.validated_data)
        return Response(RoleGrantRequestSerializer(row).data)

    @extend_schema(request=RequiredReasonSerializer, responses=RoleGrantRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        body = RequiredReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.reject_grant(actor=self.actor, request_id=int_id(pk), **body.validated_data)
        return Response(RoleGrantRequestSerializer(row).data)
