"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

from typing import Any

import structlog
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from fleetgate.core import correlation
from fleetgate.core.errors import DomainError, FieldIssue

log = structlog.get_logger(__name__)
CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:fleetgate:problem:"


def problem_body(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "correlation_id": correlation.current(),
    }
    body.update({k: v for k, v in extra.items() if v is not None and not (k == "errors" and not v)})
    return body


def problem_response(status: int, code: str, title: str, detail: str, **extra: Any) -> JsonResponse:
    return JsonResponse(problem_body(status, code, title, detail, **extra), status=status, content_type=CONTENT_TYPE)


def flatten(errors: Any, prefix: str = "") -> list[FieldIssue]:
    """DRF's nested error dict → a flat list of (field path, rule, message)."""
    out: list[FieldIssue] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            path = prefix if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else str(key))
            out.extend(flatten(value, path))
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list):
                out.extend(flatten(value, f"{prefix}[{index}]"))
            else:
                out.extend(flatten(value, prefix))
    else:
        code = getattr(errors, "code", "invalid")
        out.append(FieldIssue(prefix or "body", str(code), str(errors)))
    return out


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    status, code, title, detail, extra, headers = _classify(exc)
    body = problem_body(status, code, title, detail, **extra)
    response = Response(body, status=status, content_type=CONTENT_TYPE, headers=headers)
    return response


def _classify(exc: Exception) -> tuple[int, str, str, str, dict[str, Any], dict[str, str]]:
    if isinstance(exc, DomainError):
        return (
            exc.status,
            exc.code,
            exc.title,
            exc.detail,
            {"errors": [e.as_dict() for e in exc.errors], **exc.extra},
            {},
        )
    if isinstance(exc, drf.ValidationError):
        issues = [e.as_dict() for e in flatten(exc.detail)]
        fields = ", ".join(sorted({i["field"] for i in issues}))
        return (
            400,
            "validation-error",
            "The request is not valid",
            f"Fix these fields and retry: {fields}.",
            {"errors": issues},
            {},
        )
    if isinstance(exc, drf.ParseError):
        return (
            400,
            "malformed-request",
            "The request body could not be parsed",
            f"{exc.detail} Send valid JSON with Content-Type: application/json.",
            {},
            {},
        )
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return (
            401,
            "not-authenticated",
            "Authentication required",
            f"{exc.detail} Sign in, or send 'Authorization: Bearer <token>' "
            "(create one with `fleetgate token create`).",
            {},
            {"WWW-Authenticate": 'Bearer realm="fleetgate"'},
        )
    if isinstance(exc, drf.PermissionDenied | DjangoPermissionDenied):
        return 403, "forbidden", "You may not do this", str(getattr(exc, "detail", exc) or "Forbidden."), {}, {}
    if isinstance(exc, drf.NotFound | Http404):
        return 404, "not-found", "Not found", "No such resource; check the id or list the collection.", {}, {}
    if isinstance(exc, drf.MethodNotAllowed):
        return 405, "method-not-allowed", "Method not allowed", str(exc.detail), {}, {}
    if isinstance(exc, drf.UnsupportedMediaType):
        return (
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"{exc.detail} Send application/json (or multipart/form-data for uploads).",
            {},
            {},
        )
    if isinstance(exc, drf.NotAcceptable):
        return 406, "not-acceptable", "Not acceptable", str(exc.detail), {}, {}
    if isinstance(exc, drf.Throttled):
        wait = int(getattr(exc, "wait", None) or 1)
        return (
            429,
            "rate-limited",
            "Too many requests",
            f"Slow down; retry in {wait} s.",
            {"retry_after": wait},
            {"Retry-After": str(wait)},
        )
    if isinstance(exc, RequestDataTooBig):
        return (
            413,
            "payload-too-large",
            "Payload too large",
            "The request body is over the size limit; send less, or raise FLEETGATE_MAX_BODY_BYTES.",
            {},
            {},
        )
    if isinstance(exc, drf.APIException):
        return exc.status_code, "error", "Error", str(exc.detail), {}, {}
    log.exception("unhandled_error", error=str(exc))
    return (
        500,
        "internal-error",
        "Internal error",
        "Something failed on the server; quote the correlation_id when you report it.",
        {},
        {},
    )


# Django's own error pages (raised outside DRF: CSRF, a bad Host header, an unknown URL, a crash) are HTML
# by default; an API client sees problem+json for every one of them instead.


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """CSRF_FAILURE_VIEW: the session cookie was sent (or a login posted) without the CSRF token."""
    return problem_response(
        403,
        "csrf-failed",
        "CSRF check failed",
        f"{reason or 'CSRF verification failed.'} Browser clients: read the csrftoken cookie (GET "
        "/api/v1/auth/session/ sets it) and send it back as the X-CSRFToken header. Programs: use "
        "'Authorization: Bearer <token>' instead of a session.",
        errors=[FieldIssue("X-CSRFToken", "csrf", reason or "missing or incorrect").as_dict()],
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """handler400: Django refuses the request before routing (DisallowedHost, other SuspiciousOperation)."""
    if isinstance(exception, DisallowedHost):
        return problem_response(
            400,
            "bad-host",
            "Host not allowed",
            "The Host header names a host this server does not serve; use the server's configured "
            "address (FLEETGATE_ALLOWED_HOSTS lists the names it answers to).",
            errors=[FieldIssue("Host", "allowed-hosts", "not one of the configured hosts").as_dict()],
        )
    return problem_response(400, "bad-request", "Bad request", "The request could not be processed as sent.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_response(403, "forbidden", "You may not do this", str(exception or "") or "Forbidden.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_response(
        404, "not-found", "Not found", f"No endpoint at {request.path}; see /api/docs/ for the list."
    )


def server_error(request: HttpRequest) -> JsonResponse:
    return problem_response(
        500,
        "internal-error",
        "Internal error",
        "Something failed on the server; quote the correlation_id when you report it.",
    )
