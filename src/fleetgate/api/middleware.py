"""API paths route with or without their trailing slash; nothing on /api/ is ever redirected.

Django's APPEND_SLASH answers `POST /api/v1/intents` with a 301 to `/api/v1/intents/`, and clients
follow it as a GET without the body. Here a path that only resolves with the slash is routed to it
in place, for every method, so the request (body included) reaches the view as sent.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import get_urlconf, is_valid_path
from prometheus_client import Counter

from fleetgate.api import admission

API_PREFIX = "/api/"
REFUSED = Counter("fleetgate_http_refused_total", "Requests refused by admission (503 overloaded)", ["reason"])


class AdmissionMiddleware:
    """Answers 503 problem+json with Retry-After, before any other work, for a request the admission
    worker could not serve in time (`fleetgate.api.admission`: over the in-flight limit, or waited
    longer than the queue-wait bound). Health and metrics are never refused."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        detail = admission.refusal(request.path_info)
        if detail is None:
            return self.get_response(request)
        from fleetgate.api.problems import problem_response

        over = admission.STATE.over_capacity
        REFUSED.labels(
            ("expected-wait" if admission.STATE.expected_wait_s else "in-flight") if over else "waited"
        ).inc()
        refused = problem_response(503, "overloaded", "Server busy", detail, retry_after=admission.RETRY_AFTER_S)
        refused["Retry-After"] = str(admission.RETRY_AFTER_S)
        return refused


class ApiTrailingSlashMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(API_PREFIX) and not path.endswith("/"):
            urlconf = getattr(request, "urlconf", get_urlconf())
            if not is_valid_path(path, urlconf) and is_valid_path(f"{path}/", urlconf):
                request.path_info = f"{path}/"
                request.path = f"{request.path}/"
        return self.get_response(request)


class ProblemMiddleware:
    """Any error response under /api/ that is not problem+json already (Django's own 404 for an unknown
    URL, a 405 from a plain Django view) is answered as problem+json with the same status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400 or _is_json(response):
            return response
        from fleetgate.api.problems import problem_response

        if response.status_code == 404:
            return problem_response(
                404, "not-found", "Not found", f"No API endpoint at {request.path}; see /api/docs/ for the list."
            )
        status = response.status_code
        reason = getattr(response, "reason_phrase", "") or "Error"
        problem = problem_response(
            status, "http-" + str(status), reason, f"{reason} ({request.method} {request.path})."
        )
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                problem[header] = response[header]
        return problem


def _is_json(response: HttpResponse) -> bool:
    return "json" in response.get("Content-Type", "")
