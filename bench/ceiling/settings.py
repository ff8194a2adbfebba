"""Settings of the ceiling app: DRF with no authentication, no middleware, JSON only, and Fleetgate's
database (same URL, same connection pool settings as fleetgate/settings.py)."""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = "bench-ceiling-not-secret"  # a local benchmark app: no sessions, nothing signed
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["rest_framework", "ceiling.apps.CeilingConfig"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "ceiling.app"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_url = os.environ.get("FLEETGATE_DATABASE_URL", "")
if _url.startswith(("postgres://", "postgresql://")):
    _db = dj_database_url.parse(_url)
    _pool = int(os.environ.get("FLEETGATE_DB_POOL_MAX", "10"))
    _db["OPTIONS"] = {"pool": {"min_size": 1, "max_size": _pool, "timeout": 30}}
    _db["CONN_MAX_AGE"] = 0
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["CEILING_SQLITE_PATH"]}
DATABASES = {"default": _db}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
