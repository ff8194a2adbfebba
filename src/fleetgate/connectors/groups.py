"""The planes' device groups for the ring steps' pickers, and which connectors a picker asks.

A read of the plane: no plane state changes and nothing is recorded in the ledger (like a health
probe's latency). It goes through the connector's own HTTP framework, so the circuit breaker and
the error classification are the ones every plane call has, with the breaker's state persisted. A
picker answers a person who is waiting: one attempt (no backoff), and a plane that cannot be reached
is a problem saying what to do next (503, or 502 when the plane refused), never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fleetgate.connectors import services
from fleetgate.connectors.base import PlaneGroup
from fleetgate.connectors.errors import ConnectorError, PolicyViolation, Transient
from fleetgate.connectors.models import ConnectorInstance
from fleetgate.connectors.registry import KINDS
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict, PlaneRejected, PlaneUnavailable
from fleetgate.core.validation import Issues

LIMIT = 50  # groups a picker shows at most: the first matches, by name
MAX_SEARCH = 100
GROUP_WORD = {
    "intune": "Entra ID groups",
    "jamf": "computer groups",
    "sccm": "device collections",
    "landscape": "tags",
    "ansible": "inventory groups",
}


def _check_search(search: str) -> str:
    issues = Issues()
    if len(search) > MAX_SEARCH:
        issues.add("q", "max-length", f"Search with at most {MAX_SEARCH} characters.")
    if any(ord(c) < 32 for c in search):
        issues.add("q", "characters", "Search with printable characters only.")
    issues.raise_if_any()
    return search.strip()


def list_groups(*, actor: Actor, connector_id: Any, search: str = "") -> tuple[ConnectorInstance, list[PlaneGroup]]:
    """The connector, and its plane's groups whose name matches `search`, by name, at most LIMIT."""
    permissions.require(actor, "connector.groups")
    search = _check_search(search)
    instance = services.get(connector_id)
    if not instance.enabled:
        raise Conflict(
            f"Connector {instance.name} is disabled, so its groups cannot be listed; type the group's name, "
            "or ask a Platform Admin to enable it.",
            connector=instance.name,
        )
    connector = services.build(instance, max_attempts=1)  # someone is waiting: no backoff
    try:
        return instance, connector.list_groups(search, LIMIT)
    except ConnectorError as exc:
        raise _problem(exc, instance) from exc
    finally:
        services._persist_circuit(instance, connector)  # the breaker state is kept where every plane call keeps it
        connector.close()


def _problem(exc: ConnectorError, instance: ConnectorInstance) -> Exception:
    word = GROUP_WORD.get(instance.kind, "groups")
    extra: dict[str, Any] = {"connector": instance.name, "plane_status": exc.status, "kind": exc.kind}
    if isinstance(exc, Transient):
        return PlaneUnavailable(
            f"{instance.name} cannot be reached to list its {word} ({exc.message}). Try again in a minute, "
            "or type the group's name as the plane names it.",
            retry_after=exc.retry_after,
            **extra,
        )
    what = "may not read" if isinstance(exc, PolicyViolation) else "could not list"
    return PlaneRejected(
        f"{instance.name} {what} its {word} ({exc.message}). A Platform Admin checks the connector's "
        "permissions on the Connectors screen; meanwhile type the group's name as the plane names it.",
        **extra,
    )


def serving(*, actor: Actor, platforms: Iterable[str] = (), boundary: str = "") -> list[ConnectorInstance]:
    """The enabled connectors a ring step's picker asks: those serving one of `platforms` in
    `boundary` (every enabled one when no platform is given)."""
    permissions.require(actor, "connector.groups")
    wanted = [p for p in platforms if p]
    rows = ConnectorInstance.objects.filter(enabled=True).order_by("name")

    def fits(c: ConnectorInstance, platform: str) -> bool:
        return c.serves(platform, boundary) if boundary else platform in c.platforms

    return [c for c in rows if c.kind in KINDS and (not wanted or any(fits(c, p) for p in wanted))]
