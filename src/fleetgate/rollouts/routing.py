"""Where each artifact goes: the connector that serves its platform in the intent's boundary, and
the ring's group as that plane names it (``ring_plan[i].target_groups[kind]``, else ``target_group``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fleetgate.catalog.models import Artifact
from fleetgate.connectors.models import ConnectorInstance
from fleetgate.core.errors import NoRoute
from fleetgate.evidence.models import EvidencePack
from fleetgate.intents.models import DeploymentIntent


@dataclass(frozen=True)
class Route:
    connector: ConnectorInstance
    artifact: Artifact
    pack: EvidencePack


def packed_artifacts(intent: DeploymentIntent) -> list[EvidencePack]:
    """The newest sealed pack of each artifact of the intent: what the rollout deploys."""
    newest: dict[Any, EvidencePack] = {}
    for pack in EvidencePack.objects.filter(intent=intent).select_related("artifact").order_by("version"):
        newest[pack.artifact_id] = pack
    return sorted(newest.values(), key=lambda p: p.artifact.platform)


def routes(intent: DeploymentIntent) -> list[Route]:
    """One route per packed artifact; refuse when a platform has no plane or two planes."""
    planes = list(ConnectorInstance.objects.filter(enabled=True).order_by("name"))
    out: list[Route] = []
    problems: list[str] = []
    for pack in packed_artifacts(intent):
        serving = [c for c in planes if c.serves(pack.artifact.platform, intent.target_boundary)]
        if not serving:
            problems.append(
                f"no enabled connector serves {pack.artifact.platform} in boundary {intent.target_boundary}"
            )
        elif len(serving) > 1:
            names = ", ".join(c.name for c in serving)
            problems.append(
                f"{pack.artifact.platform} in {intent.target_boundary} is served by several connectors ({names})"
            )
        else:
            out.append(Route(serving[0], pack.artifact, pack))
    if not out and not problems:
        problems.append("the intent has no sealed evidence pack, so nothing can be deployed")
    if problems:
        raise NoRoute(
            "Cannot route the rollout: " + "; ".join(problems) + ". A Platform Admin sets each connector's "
            "platforms and boundaries on the Connectors screen.",
            problems=problems,
        )
    return out


def group_for(step: dict[str, Any], connector: ConnectorInstance) -> str:
    groups = step.get("target_groups") or {}
    return str(groups.get(connector.kind) or groups.get(connector.name) or step["target_group"])


def ring_site_class(intent: DeploymentIntent, position: int) -> str:
    """The site class a ring targets where known: the step's own ``site_class``, else the intent's
    only target site class; "" when the ring spans several (each device then says its own)."""
    step = intent.ring_plan[position] if position < len(intent.ring_plan) else {}
    named = str(step.get("site_class") or "")
    if named:
        return named
    classes = list(intent.target_site_classes or [])
    return classes[0] if len(classes) == 1 else ""


COUNT_TOLERANCE = 0.10  # a typed count further than this from the plane's membership is shown as a warning


def count_warning(planned: int, observed: int | None, connector: str, group: str) -> str:
    """ "" when the typed device count is within 10 % of the plane's group membership (or it is unknown)."""
    if observed is None or not planned:
        return ""
    if abs(observed - planned) > COUNT_TOLERANCE * planned:
        return f"planned {planned} devices; {connector} reports {observed} in {group}"
    return ""
