"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest, multiprocess

from fleetgate.api.problems import problem_response
from fleetgate.audit.models import LedgerHead
from fleetgate.config import settings as cfg
from fleetgate.core import clientip, permissions
from fleetgate.identity.queries import from_user
from fleetgate.siem import metrics as siem_metrics

METRICS_ALLOW = clientip.networks(cfg.metrics_allow)
TRUSTED_PROXIES = clientip.networks(cfg.trusted_proxies)
LEDGER_HEAD = Gauge("fleetgate_ledger_head_sequence", "Sequence number of the ledger head", multiprocess_mode="max")


def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def ready(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # readiness must report, not crash
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        LedgerHead.objects.get(pk=1)
        checks["ledger"] = "ok"
    except Exception:
        checks["ledger"] = "error: not migrated (run `fleetgate migrate`)"
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)


def _metrics_refusal(request: HttpRequest) -> HttpResponse | None:
    """None when the caller may read /metrics: an address in FLEETGATE_METRICS_ALLOW, or a Platform
    Admin or Auditor (bearer token or signed-in session)."""
    if clientip.allowed(clientip.client_ip(request.META, TRUSTED_PROXIES), METRICS_ALLOW):
        return None
    from rest_framework.exceptions import AuthenticationFailed

    from fleetgate.api.auth import TokenAuthentication

    try:
        found = TokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except AuthenticationFailed as exc:
        return problem_response(401, "not-authenticated", "Authentication required", str(exc.detail))
    user = found[0] if found else getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return problem_response(
            401,
            "not-authenticated",
            "Authentication required",
            "Send 'Authorization: Bearer <token>' of a Platform Admin or Auditor, or scrape from an address "
            "listed in FLEETGATE_METRICS_ALLOW.",
        )
    if not permissions.can(from_user(user), "metrics.view"):
        return problem_response(
            403, "forbidden", "You may not do this", "'/metrics' needs one of: Auditor, Platform Admin."
        )
    return None


def metrics(request: HttpRequest) -> HttpResponse:
    refused = _metrics_refusal(request)
    if refused is not None:
        return refused
    head = LedgerHead.objects.filter(pk=1).values_list("sequence", flat=True).first()
    LEDGER_HEAD.set(head or 0)
    siem_metrics.refresh()
    if cfg.metrics_multiproc_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
