"""Serve the built web UI: every non-API path gets index.html so client-side routes deep-link."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import ensure_csrf_cookie

INDEX = Path(settings.WHITENOISE_ROOT) / "index.html"


@ensure_csrf_cookie
def index(request: HttpRequest, path: str = "") -> HttpResponseBase:
    if not INDEX.exists():
        return HttpResponse(
            "The web UI is not built. Run `make run` (it builds web/ into src/fleetgate/static_ui), "
            "or use the API at /api/docs/.",
            status=503,
            content_type="text/plain",
        )
    response = FileResponse(INDEX.open("rb"), content_type="text/html")
    response["Cache-Control"] = "no-cache"
    return response
