"""Where an air-gapped site's signed results enter a rollout: the ring's gates count them (``facts``
reads them through ``rollouts.offline``); this records that they arrived on the intent's ledger stream
and asks the engine to evaluate the ring again. Called inside the importing transaction."""

from __future__ import annotations

from typing import Any

from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict
from fleetgate.rollouts.models import Rollout
from fleetgate.rollouts.services.common import event
from fleetgate.rollouts.services.engine import _schedule


def site_results_recorded(*, actor: Actor, intent_id: Any, site: str, rings: dict[str, dict[str, Any]]) -> Rollout:
    rollout = Rollout.objects.filter(intent_id=intent_id).select_related("intent").first()
    if rollout is None:
        raise Conflict("The intent has no rollout here yet; start it before importing site results.")
    unknown = sorted(set(rings) - set(rollout.intent.rings))
    if unknown:
        raise Conflict(f"The results name rings the intent does not plan: {', '.join(unknown)}.")
    event(actor=actor, rollout=rollout, action="rollout.site_results_recorded", after={"site": site, "rings": rings})
    _schedule(rollout.intent_id)
    return rollout
