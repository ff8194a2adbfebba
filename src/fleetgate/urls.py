from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from fleetgate.api import health, spa

# Django's own error pages answer problem+json too (a bad Host header, an unknown URL, a crash).
handler400 = "fleetgate.api.problems.bad_request"
handler403 = "fleetgate.api.problems.permission_denied"
handler404 = "fleetgate.api.problems.page_not_found"
handler500 = "fleetgate.api.problems.server_error"

urlpatterns = [
    path("api/v1/", include("fleetgate.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="schema"), name="docs"),
    path("health/live", health.live),
    path("health/ready", health.ready),
    path("metrics", health.metrics),
    # Everything else is a client-side route of the web UI (static assets are served by WhiteNoise first).
    re_path(r"^(?!api/|static/|health/|metrics)(?P<path>.*)$", spa.index),
]
