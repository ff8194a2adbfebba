"""Django settings. Values come from fleetgate.config, never from os.environ directly."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from fleetgate.config import settings as cfg
from fleetgate.core import logs
from fleetgate.intents.states import State as IntentState
from fleetgate.worker.queue import huey_settings

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = cfg.data_dir
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = cfg.secret_key
DEBUG = cfg.debug
ALLOWED_HOSTS = cfg.allowed_hosts
CSRF_TRUSTED_ORIGINS = [f"http://{h}:8000" for h in cfg.allowed_hosts if h != "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "huey.contrib.djhuey",
    "fleetgate.core",
    "fleetgate.identity",
    "fleetgate.audit",
    "fleetgate.catalog",
    "fleetgate.intents",
    "fleetgate.connectors",
    "fleetgate.evidence",
    "fleetgate.risk",
    "fleetgate.notifications",
    "fleetgate.approvals",
    "fleetgate.rollouts",
    "fleetgate.assistant",
    "fleetgate.reconcile",
    "fleetgate.sites",
    "fleetgate.siem",
    "fleetgate.sso",
    "fleetgate.worker",
]

MIDDLEWARE = [
    "fleetgate.core.middleware.CorrelationIdMiddleware",
    "fleetgate.core.middleware.MetricsMiddleware",
    "fleetgate.api.middleware.AdmissionMiddleware",  # 503 + Retry-After before any work when overloaded
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fleetgate.api.middleware.ApiTrailingSlashMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fleetgate.sso.middleware.SsoSessionMiddleware",
    "fleetgate.api.middleware.ProblemMiddleware",
]

ROOT_URLCONF = "fleetgate.urls"
WSGI_APPLICATION = "fleetgate.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

if cfg.uses_postgres:
    _db = dj_database_url.parse(cfg.database_url)
    _db["ENGINE"] = "fleetgate.core.db.postgresql"  # Django's, with before_commit (core/db/precommit.py)
    _db["OPTIONS"] = {"pool": {"min_size": 1, "max_size": cfg.db_pool_max, "timeout": 30}}
    if cfg.db_prepare:
        # Server-side binding lets psycopg prepare a statement a connection has run 5 times, so PostgreSQL
        # plans it once instead of on every run: the ledger's scoped page spent 1.9 ms planning, 0.4 ms
        # executing (issue 16). Off for a pooler that cannot hold prepared statements (PgBouncer < 1.21).
        _db["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)  # Django's default: never prepare
    _db["CONN_MAX_AGE"] = 0
else:
    _db = {
        "ENGINE": "fleetgate.core.db.sqlite3",  # Django's, with before_commit (core/db/precommit.py)
        "NAME": str(cfg.data_dir / "fleetgate.sqlite3"),
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing
            # half-way with "database is locked"; WAL lets readers go on meanwhile.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# "shared" holds what every worker must count together (API throttles, account lockout): Redis when
# configured, else the database cache (table created by identity's migration 0002).
if cfg.redis_url:
    _redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": cfg.redis_url}
    CACHES = {"default": _redis, "shared": {**_redis, "KEY_PREFIX": "shared"}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "fleetgate_cache"},
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "fleetgate.api.problems.csrf_failure"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_ROOT = BASE_DIR / "static_ui"  # the built web UI (make ui)
WHITENOISE_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_INDEX_FILE = True

DATA_UPLOAD_MAX_MEMORY_SIZE = cfg.max_body_bytes
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_TEMP_DIR = None
FLEETGATE_MAX_UPLOAD_BYTES = cfg.max_upload_bytes
FLEETGATE_ARTIFACT_DIR = DATA_DIR / "artifacts"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "fleetgate.api.auth.TokenAuthentication",
        "fleetgate.api.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["fleetgate.api.permissions.IsAuthenticatedActor"],
    "DEFAULT_PARSER_CLASSES": ["fleetgate.api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["fleetgate.api.renderers.FastJSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["fleetgate.api.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "fleetgate.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "fleetgate.api.throttling.AnonThrottle",
        "fleetgate.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": cfg.throttle_anon, "user": cfg.throttle_user, "login": cfg.throttle_login},
    "EXCEPTION_HANDLER": "fleetgate.api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    # JSON only: `?format=` is a filter of some collections (artifacts), never a renderer switch (DRF 404s).
    "URL_FORMAT_OVERRIDE": None,
    # No OPTIONS metadata (no CORS here): DRF's introspection 500s on views without a serializer; 405 instead.
    "DEFAULT_METADATA_CLASS": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Fleetgate API",
    "DESCRIPTION": "Governance control plane for enterprise endpoint software deployment.",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "PlatformEnum": "fleetgate.catalog.models.Platform",
        "RoleGrantRoleEnum": "fleetgate.core.roles.Role",
        "IntentStateEnum": [(s.value, s.value) for s in IntentState],
        "EvidenceKindEnum": "fleetgate.evidence.documents.Kind",
        "CabDecisionKindEnum": "fleetgate.approvals.models.DecisionKind",
        "ExceptionKindEnum": "fleetgate.approvals.models.ExceptionKind",
        "RolloutStatusEnum": "fleetgate.rollouts.models.Rollout.Status",
        "WindowKindEnum": "fleetgate.rollouts.models.MaintenanceWindow.Kind",
        "ProviderKindEnum": "fleetgate.assistant.models.Kind",
        "JobStatusEnum": "fleetgate.worker.models.JobRun.Status",
        "BundleKindEnum": "fleetgate.sites.models.BundleKind",
        "TargetSiteClassesEnum": "fleetgate.core.roles.SiteClass",
        "SiemKindEnum": "fleetgate.siem.models.Kind",
        "SiemFormatEnum": "fleetgate.siem.models.Format",
        "FormatEnum": "fleetgate.catalog.models.ArtifactFormat",  # the artifact's (named before SIEM formats came)
        "SsoClaimKindEnum": "fleetgate.sso.models.ClaimKind",
        "IncidentPriorityEnum": [(p, p) for p in ("P0", "P1", "P2", "P3", "P4")],
        # evidence items store Kind values as their own labels; keep the contract's existing name
        "KindEnum": [(k, k) for k in ("sbom", "vulnerability_scan", "malware_scan", "signature", "provenance")]
        + [(k, k) for k in ("install_facts", "rollback_plan", "test_evidence")],
    },
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "fleetgate.api.schema.add_problem_responses",
        "fleetgate.api.schema.nullable_json_is_any",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Background work: SqliteHuey beside the database by default; RedisHuey (FLEETGATE_REDIS_URL) to scale out.
HUEY = huey_settings(cfg.redis_url, DATA_DIR)
# The demo clock (rollouts/clock.py): scales elapsed soak and time to compliance, in the demo only.
FLEETGATE_DEMO = cfg.demo
FLEETGATE_DEMO_TIME_SCALE = cfg.demo_time_scale if cfg.demo else 1.0

LOGGING = logs.configure(cfg.log_level)
