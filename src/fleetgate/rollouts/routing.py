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
