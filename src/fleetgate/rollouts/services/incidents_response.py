"""Ring policy `incident_policy`: P0/P1 roll back every ring reached, P2 pauses the current ring,
P3/P4 are recorded (and feed the gates and the risk history). Each incident is acted on once."""

from __future__ import annotations

from django.db import transaction

from fleetgate.core.actors import Actor
from fleetgate.core.lookups import locked
from fleetgate.intents import services as intents
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import Action, State
from fleetgate.rollouts import queries
from fleetgate.rollouts.models import Rollout
from fleetgate.rollouts.services.common import event, set_status


def respond(rollout: Rollout, actor: Actor) -> bool:
    """Act on the first incident not yet acted on; True when the rollout's state changed."""
    policy = rollout.intent.ring_policy.document.get("incident_policy", {})
    handled = set(rollout.incidents_handled)
    for incident in queries.open_incidents(rollout.intent):
        if str(incident.pk) in handled:
            continue
        action = policy.get(incident.priority, {}).get("action", "record")
        with transaction.atomic():
            intent = locked(DeploymentIntent, rollout.intent_id, "intent")
            row = locked(Rollout, rollout.pk, "rollout")
            row.incidents_handled = [*row.incidents_handled, str(incident.pk)]
            row.save(update_fields=["incidents_handled"])
            reason = f"incident {incident.priority} {incident.title} ({incident.pk})"
            if action == "rollback" and intent.state in (State.IN_PROGRESS, State.PAUSED, State.HALTED):
                from fleetgate.rollouts.services.rollback import begin_locked

                begin_locked(rollout, intent, actor, reason)
                return True
            if action == "pause" and intent.state == State.IN_PROGRESS:
                intents.transition(
                    actor=actor, intent=intent, action=Action.PAUSE, event="intent.paused", reason=reason
                )
                set_status(rollout, Rollout.Status.PAUSED, reason)
                event(
                    actor=actor,
                    rollout=rollout,
                    action="rollout.paused",
                    after={"ring": rollout.current_ring},
                    reason=reason,
                )
                return True
            event(
                actor=actor,
                rollout=rollout,
                action="rollout.incident_noted",
                after={"incident": str(incident.pk), "policy": action},
                reason=reason,
            )
    return False
