"""The /api/v1 router: every resource registers here and nowhere else."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from fleetgate.approvals.api import (
    CabDecisionViewSet,
    CabRequestViewSet,
    CabSubmissionViewSet,
    PromotionCheckView,
)
from fleetgate.approvals.api_comments import CabCommentViewSet
from fleetgate.approvals.api_exceptions import BreakGlassViewSet, ExceptionViewSet
from fleetgate.assistant.api import AssistantViewSet, InteractionViewSet, ProviderViewSet
from fleetgate.audit.api import LedgerViewSet
from fleetgate.catalog.api import ApplicationViewSet, ArtifactViewSet, VersionViewSet
from fleetgate.connectors.api import ConnectorViewSet
from fleetgate.connectors.api_groups import ConnectorGroupsView, GroupSourcesView
from fleetgate.evidence.api import (
    ComponentViewSet,
    EvidencePackViewSet,
    EvidenceViewSet,
    SealKeyViewSet,
    TrustedKeyViewSet,
)
from fleetgate.identity.api import (
    LoginView,
    LogoutView,
    MeView,
    RoleGrantRequestViewSet,
    SessionView,
    TokenViewSet,
    UserViewSet,
)
from fleetgate.identity.api_account import PasswordView, PreferencesView
from fleetgate.intents.api import IntentViewSet, RingPolicyViewSet
from fleetgate.intents.api_dashboard import DashboardView
from fleetgate.intents.api_manifest import ManifestApplyView
from fleetgate.notifications.api import NotificationViewSet, WebhookTargetViewSet
from fleetgate.reconcile.api import DriftViewSet, ReconcileRunViewSet
from fleetgate.risk.api import RiskAssessmentViewSet, RiskModelViewSet
from fleetgate.rollouts.api import JobViewSet, PlanView, RolloutViewSet, StartView
from fleetgate.rollouts.api_operations import FreezeView, IncidentViewSet, WindowViewSet
from fleetgate.search.api import SearchView
from fleetgate.siem.api import SiemDestinationViewSet
from fleetgate.sites.api import BundleExportViewSet, BundleImportViewSet, SiteViewSet, StrategyViewSet
from fleetgate.sso.api import CallbackView, LoginStartView, MappingViewSet, SignInOptionsView, SsoLogoutView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("applications", ApplicationViewSet, basename="application")
router.register("versions", VersionViewSet, basename="version")
router.register("artifacts", ArtifactViewSet, basename="artifact")
router.register("intents", IntentViewSet, basename="intent")
router.register("ring-policies", RingPolicyViewSet, basename="ring-policy")
router.register("ledger", LedgerViewSet, basename="ledger")
router.register("users", UserViewSet, basename="user")
router.register("tokens", TokenViewSet, basename="token")
router.register("role-grant-requests", RoleGrantRequestViewSet, basename="role-grant-request")
router.register("connectors", ConnectorViewSet, basename="connector")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("components", ComponentViewSet, basename="component")
router.register("trusted-keys", TrustedKeyViewSet, basename="trusted-key")
router.register("evidence-keys", SealKeyViewSet, basename="evidence-key")
router.register("evidence-packs", EvidencePackViewSet, basename="evidence-pack")
router.register("risk-assessments", RiskAssessmentViewSet, basename="risk-assessment")
router.register("risk-models", RiskModelViewSet, basename="risk-model")
router.register("cab-submissions", CabSubmissionViewSet, basename="cab-submission")
router.register("cab-requests", CabRequestViewSet, basename="cab-request")
router.register("cab-decisions", CabDecisionViewSet, basename="cab-decision")
router.register("cab-comments", CabCommentViewSet, basename="cab-comment")
router.register("exceptions", ExceptionViewSet, basename="exception")
router.register("break-glass", BreakGlassViewSet, basename="break-glass")
router.register("webhooks", WebhookTargetViewSet, basename="webhook")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("rollouts", RolloutViewSet, basename="rollout")
router.register("jobs", JobViewSet, basename="job")
router.register("drift", DriftViewSet, basename="drift")
router.register("reconcile/runs", ReconcileRunViewSet, basename="reconcile-run")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("maintenance-windows", WindowViewSet, basename="maintenance-window")
router.register("assistant/interactions", InteractionViewSet, basename="assistant-interaction")
router.register("assistant/providers", ProviderViewSet, basename="assistant-provider")
router.register("assistant", AssistantViewSet, basename="assistant")
router.register("siem/destinations", SiemDestinationViewSet, basename="siem-destination")
router.register("sso/mappings", MappingViewSet, basename="sso-mapping")
router.register("sites", SiteViewSet, basename="site")
router.register("distribution-strategies", StrategyViewSet, basename="distribution-strategy")
router.register("bundle-exports", BundleExportViewSet, basename="bundle-export")
router.register("bundle-imports", BundleImportViewSet, basename="bundle-import")

urlpatterns = [
    path("auth/session/", SessionView.as_view(), name="session"),
    path("auth/login/", LoginView.as_view(), name="login"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
    path("auth/sso/", SignInOptionsView.as_view(), name="sso-options"),
    path("auth/sso/login/", LoginStartView.as_view(), name="sso-login"),
    path("auth/sso/callback/", CallbackView.as_view(), name="sso-callback"),
    path("auth/sso/logout/", SsoLogoutView.as_view(), name="sso-logout"),
    path("me/", MeView.as_view(), name="me"),
    path("me/preferences/", PreferencesView.as_view(), name="me-preferences"),
    path("me/password/", PasswordView.as_view(), name="me-password"),
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("search/", SearchView.as_view(), name="search"),
    path("promotion-check/", PromotionCheckView.as_view(), name="promotion-check"),
    path("intents/apply/", ManifestApplyView.as_view(), name="intent-apply"),
    path("intents/<uuid:pk>/start/", StartView.as_view(), name="intent-start"),
    path("intents/<uuid:pk>/plan/", PlanView.as_view(), name="intent-plan"),
    path("change-freeze/", FreezeView.as_view(), name="change-freeze"),
    path("connectors/group-sources/", GroupSourcesView.as_view(), name="connector-group-sources"),
    path("connectors/<uuid:pk>/groups/", ConnectorGroupsView.as_view(), name="connector-groups"),
    path("", include(router.urls)),
]
