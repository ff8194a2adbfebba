"""Prometheus metrics of the connectors: circuit state per instance, plane calls by outcome."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

CIRCUIT_VALUES = {"closed": 0, "half_open": 1, "open": 2}

CIRCUIT = Gauge(
    "fleetgate_connector_circuit_state",
    "Circuit breaker per connector instance: 0 closed, 1 half-open, 2 open",
    ["connector", "kind"],
    multiprocess_mode="mostrecent",
)
CALLS = Counter("fleetgate_connector_calls_total", "Calls to execution planes by outcome", ["kind", "outcome"])


def circuit(name: str, kind: str, state: str) -> None:
    CIRCUIT.labels(name, kind).set(CIRCUIT_VALUES.get(state, 0))


def call(kind: str, outcome: str) -> None:
    CALLS.labels(kind, outcome).inc()
