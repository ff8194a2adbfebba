"""Readiness to seal: what still keeps an artifact's pack (for an intent, or its evidence alone) from sealing,
by the sealing service's own rules (assemble.body + completeness.check), touching nothing.

A read for the console's checklist, which asks again as evidence arrives. The stored artifact is not re-hashed
here (a polled read must not read gigabytes); sealing does that, so `artifact-digest` is reported `at_seal`.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from fleetgate.catalog.models import Artifact
from fleetgate.core.actors import Actor
from fleetgate.core.errors import FieldIssue, NotFound, ValidationFailed
from fleetgate.core.scoping import APPLICATION, INTENT, scoped
from fleetgate.evidence import assemble, completeness, inputs, queries
from fleetgate.evidence.documents import Kind
from fleetgate.intents.models import DeploymentIntent

ARTIFACT_SCOPE = APPLICATION.via("version__application")
INTENT_CHECKS = frozenset({"risk-assessed", "cab-submission"})


def _gap_kind(gap: completeness.Gap) -> str | None:
    """The evidence kind a gap asks for: `sections.<kind>` or `sections.<kind>.<finding>`."""
    head, _, rest = gap.field.partition(".")
    kind = rest.split(".", 1)[0]
    return kind if head == "sections" and kind in {str(k) for k in Kind} else None


def completeness_of(actor: Actor, artifact_id: Any, intent_id: Any) -> dict[str, Any]:
    """What still keeps (artifact, intent) from sealing, by the sealing service's own rules
    (assemble.body + completeness.check), touching nothing. Without an intent, the checks that need one
    (risk, CAB submission) are reported as such."""
    found = scoped(actor, Artifact.objects.select_related("version"), ARTIFACT_SCOPE).filter(pk=artifact_id).first()
    if found is None:
        raise NotFound("No artifact with this id is shown to you.")
    now = timezone.now()
    intent = None
    if intent_id:
        intents = DeploymentIntent.objects.select_related("application", "version")
        intent = scoped(actor, intents, INTENT).filter(pk=intent_id).first()
        if intent is None:
            raise NotFound("No intent with this id is shown to you.")
        if intent.version_id != found.version_id:
            raise ValidationFailed(
                "The artifact is not of the intent's version.",
                errors=[FieldIssue("intent", "intent-version", f"Intent {intent.name} deploys another version.")],
            )
        body = assemble.body(intent=intent, artifact=found, actor=actor, at=now, version=0, previous=None)
    else:
        sections: dict[str, list[dict[str, Any]]] = {}
        for item in queries.current(found.pk):
            sections.setdefault(item.kind, []).append(assemble.section(item))
        exceptions = inputs.exceptions_for(found.sha256, None, now).as_list()
        body = {"artifact": {"sha256": found.sha256}, "sections": sections, "exceptions": exceptions}
        body |= {"risk": None, "cab_submission": {}, "sealed_at": now.isoformat()}
    gaps = [g for g in completeness.check(body) if intent or g.check not in INTENT_CHECKS]
    failed = {g.check for g in gaps}

    def state(check: str) -> str:
        if check == "artifact-digest":
            return "at_seal"
        if check in INTENT_CHECKS and intent is None:
            return "needs_intent"
        return "failed" if check in failed else "passed"

    return {
        "artifact": found.pk,
        "intent": intent.pk if intent else None,
        "ready": not gaps and intent is not None,
        "checks": [{"check": c, "state": state(c)} for c in completeness.CHECKS],
        "gaps": [{"check": g.check, "field": g.field, "message": g.message, "kind": _gap_kind(g)} for g in gaps],
    }
