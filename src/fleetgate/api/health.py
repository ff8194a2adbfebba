"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest, multiprocess

from fleetgate.audit.models import LedgerHead
from fleetgate.config import settings as cfg

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


def metrics(request: HttpRequest) -> HttpResponse:
    head = LedgerHead.objects.filter(pk=1).values_list("sequence", flat=True).first()
    LEDGER_HEAD.set(head or 0)
    if cfg.metrics_multiproc_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
