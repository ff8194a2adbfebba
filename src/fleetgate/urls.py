from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from fleetgate.api import health, spa

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
