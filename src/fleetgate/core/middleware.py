"""Request plumbing: correlation ids and Prometheus metrics (problem details outside DRF live in api.middleware)."""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

from fleetgate.core import correlation

log = structlog.get_logger("fleetgate.http")
Handler = Callable[[HttpRequest], HttpResponse]

REQUESTS = Counter("fleetgate_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("fleetgate_http_request_seconds", "HTTP request latency", ["method", "route"])


class CorrelationIdMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cid = correlation.accept(request.headers.get(correlation.HEADER))
        with correlation.bound(cid):
            response = self.get_response(request)
        response[correlation.HEADER] = cid
        return response


class MetricsMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # The view name, not the raw path, so ids do not explode the label cardinality.
        route = (match.view_name or match.route) if match else "unmatched"
        elapsed = time.perf_counter() - start
        LATENCY.labels(request.method, route).observe(elapsed)
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        log.info(
            "http_request",
            method=request.method,
            path=request.path,
            route=route,
            status=response.status_code,
            duration_ms=round(elapsed * 1000, 1),
        )
        return response
