"""What an assessment of an intent would derive right now, before anyone declares anything: the
derived factors with where each came from, and the declared factors the active rubric asks for.
A read (nothing is stored); the assessment itself re-derives when it is made."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fleetgate.catalog.models import Artifact
from fleetgate.core.errors import FieldIssue, ValidationFailed
from fleetgate.intents.models import DeploymentIntent
from fleetgate.risk import factors, gather, queries, rubric


def artifact_of(intent: DeploymentIntent, artifact_id: UUID | str | None) -> Artifact:
    """The artifact to assess: the one named, or the version's only one."""
    artifacts = list(intent.version.artifacts.all())
    if artifact_id is None and len(artifacts) == 1:
        return artifacts[0]
    match = [a for a in artifacts if str(a.pk) == str(artifact_id)]
    if not match:
        names = ", ".join(f"{a.pk} ({a.platform} {a.format})" for a in artifacts) or "none registered yet"
        raise ValidationFailed(
            "Pick the artifact to assess.",
            errors=[FieldIssue("artifact", "intent-version", f"Artifacts of {intent.version}: {names}.")],
        )
    return match[0]


def derived_now(intent: DeploymentIntent, artifact: Artifact, at: datetime) -> dict[str, Any]:
    active = queries.active_model()
    model = rubric.load(active.document)
    facts = gather.facts(intent, artifact, at)
    derived = factors.derive(model, facts)
    return {
        "rubric_version": model.version,
        "artifact": str(artifact.pk),
        "privileged_tooling": facts.privileged_tooling,
        "derived": {
            name: {**value.as_dict(), "weight": str(model.factors[name].weight)} for name, value in derived.items()
        },
        "declared": {
            name: {
                "weight": str(model.factors[name].weight),
                "options": {code: str(v) for code, v in model.factors[name].options.items()},
            }
            for name in model.declared
        },
    }
