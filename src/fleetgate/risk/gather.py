"""Collect the facts a risk assessment derives from: verified evidence, the intent, past outcomes."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from fleetgate.catalog.models import Artifact
from fleetgate.core.errors import FieldIssue, ValidationFailed
from fleetgate.evidence import inputs
from fleetgate.evidence import queries as evidence
from fleetgate.evidence.documents import Kind, Severity, Status
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import State
from fleetgate.risk.factors import Facts
from fleetgate.rollouts.models import Incident, Rollout

COUNTED = (State.COMPLETED, State.FAILED, State.ROLLED_BACK)
ROLLOUT_OUTCOMES = ("completed", "halted", "rolled_back", "failed")
COUNTED_PRIORITIES = ("P0", "P1", "P2")


def facts(intent: DeploymentIntent, artifact: Artifact, at: datetime) -> Facts:
    current = evidence.current(artifact.pk)
    scans = [i for i in current if i.kind == Kind.VULNERABILITY_SCAN]
    if not scans:
        raise ValidationFailed(
            "Risk is derived from evidence; this artifact has no vulnerability scan yet.",
            errors=[
                FieldIssue(
                    "artifact", "evidence-required", "Attach a Trivy or Grype scan first (`fleetgate evidence add`)."
                )
            ],
        )
    findings = sorted(
        {(f["id"], f["severity"]) for scan in scans for f in scan.summary["findings"] if f["severity"] != Severity.NONE}
    )
    exceptions = inputs.exceptions_for(artifact.sha256, intent.pk, at)
    signatures = [i.status for i in current if i.kind == Kind.SIGNATURE]
    provenance = [i.status for i in current if i.kind == Kind.PROVENANCE]
    outcomes, security, other = _history(intent)
    return Facts(
        findings=[{"id": i, "severity": s} for i, s in findings],
        excepted_findings=sorted({i for i, _ in findings if exceptions.covers_finding(i)}),
        signature=_best(signatures),
        provenance=_best(provenance),
        largest_ring_devices=max((int(step["device_count"]) for step in intent.ring_plan), default=0),
        category=intent.application.category,
        privileged_tooling=intent.application.privileged_tooling,
        blast_radius_class=intent.application.blast_radius_class,
        outcomes=outcomes,
        security_incidents=security,
        incidents=other,
    )


def _history(intent: DeploymentIntent) -> tuple[dict[str, int], int, int]:
    """Past outcomes of the application's other intents (the rollout's status where one ran: halted
    counts too; else the intent's final state), and its past incidents: security ones, and other P0 to P2."""
    others = DeploymentIntent.objects.filter(application_id=intent.application_id).exclude(pk=intent.pk)
    outcomes: dict[str, int] = {}
    ran = Rollout.objects.filter(intent__in=others, status__in=ROLLOUT_OUTCOMES).values_list("status", flat=True)
    unrun = others.filter(state__in=COUNTED, rollout__isnull=True).values_list("state", flat=True)
    for status in [*ran, *unrun]:
        outcomes[str(status)] = outcomes.get(str(status), 0) + 1
    incidents = Incident.objects.filter(
        Q(intent__application_id=intent.application_id) | Q(artifact__version__application_id=intent.application_id)
    ).exclude(intent_id=intent.pk)
    security = incidents.filter(security=True).count()
    other = incidents.filter(security=False, priority__in=COUNTED_PRIORITIES).count()
    return dict(sorted(outcomes.items())), security, other


def _best(statuses: list[str]) -> str:
    if Status.VERIFIED in statuses:
        return "verified"
    if Status.DECLARED in statuses:
        return "declared"
    return "none"
