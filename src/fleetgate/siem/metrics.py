"""Prometheus metrics of SIEM streaming: lag and position per destination (refreshed from the database at
each scrape, so they are right whichever process serves /metrics) and counters of what the worker sent."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from fleetgate.siem.models import Destination
from fleetgate.siem.queries import ledger_head

LAG = Gauge(
    "fleetgate_siem_lag_events",
    "Ledger events not yet acknowledged by the SIEM destination (ledger head - acknowledged sequence)",
    ["destination"],
    multiprocess_mode="mostrecent",
)
ACKNOWLEDGED = Gauge(
    "fleetgate_siem_acknowledged_sequence",
    "Last ledger sequence the SIEM destination acknowledged",
    ["destination"],
    multiprocess_mode="mostrecent",
)
FAILING = Gauge(
    "fleetgate_siem_consecutive_failures",
    "Failed batches in a row per SIEM destination (0 when the last batch was accepted)",
    ["destination"],
    multiprocess_mode="mostrecent",
)
SENT = Counter(
    "fleetgate_siem_events_sent_total", "Ledger events accepted by a SIEM destination", ["destination", "kind"]
)
FAILURES = Counter(
    "fleetgate_siem_failures_total", "Batches a SIEM destination did not accept", ["destination", "kind"]
)


def batch(destination: Destination, events: int, *, ok: bool) -> None:
    if ok:
        SENT.labels(destination.name, destination.kind).inc(events)
    else:
        FAILURES.labels(destination.name, destination.kind).inc()
    FAILING.labels(destination.name).set(destination.consecutive_failures)
    ACKNOWLEDGED.labels(destination.name).set(destination.acknowledged_sequence)


def refresh() -> None:
    head = ledger_head()
    for name, acknowledged, failing in Destination.objects.values_list(
        "name", "acknowledged_sequence", "consecutive_failures"
    ):
        LAG.labels(name).set(max(0, head - acknowledged))
        ACKNOWLEDGED.labels(name).set(acknowledged)
        FAILING.labels(name).set(failing)
