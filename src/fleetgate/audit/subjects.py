"""The names people use for ledger subjects, read in one query per subject type for a page of events.

An event names its subject by type and id; people read "firefox-128-6-finance", not a UUID. The ledger
imports no domain (the import contracts), so each type names its model by label, as core.scoping does, with
a template over the model's fields (`{application__name} {version}`). A subject whose row is gone, or whose
type has no row (sign-ins, freezes), has no name and is shown by its type and id.
"""

from __future__ import annotations

import string
from collections import defaultdict
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError

from fleetgate.audit.models import LedgerEvent

# subject_type -> (model label, name template over field paths)
NAMES: dict[str, tuple[str, str]] = {
    "intent": ("intents.DeploymentIntent", "{name}"),
    "application": ("catalog.Application", "{name}"),
    "application_version": ("catalog.ApplicationVersion", "{application__name} {version}"),
    "artifact": ("catalog.Artifact", "{filename}"),
    "evidence": ("evidence.EvidenceItem", "{filename}"),
    "evidence_pack": ("evidence.EvidencePack", "{intent__name} pack v{version}"),
    "risk_assessment": ("risk.RiskAssessment", "{intent__name} risk assessment"),
    "cab_submission": ("approvals.CabSubmission", "{intent__name} CAB submission"),
    "cab_request": ("approvals.CabRequest", "{intent__name} CAB request"),
    "exception": ("approvals.PolicyException", "exception for {subject}"),
    "break_glass": ("approvals.BreakGlass", "{intent__name} break-glass"),
    "incident": ("rollouts.Incident", "{title}"),
    "window": ("rollouts.MaintenanceWindow", "{name}"),
    "drift": ("reconcile.Drift", "{summary}"),
    "connector": ("connectors.ConnectorInstance", "{name}"),
    "webhook_target": ("notifications.WebhookTarget", "{name}"),
    "api_token": ("identity.ApiToken", "{name}"),
    "user": (settings.AUTH_USER_MODEL, "{username}"),
    "risk_model": ("risk.RiskModel", "risk rubric {version}"),
    "ring_policy": ("intents.RingPolicy", "ring policy {version}"),
}


def _fields(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def names(events: Iterable[LedgerEvent]) -> dict[tuple[str, str], str]:
    """{(subject_type, subject_id): name} for the events' subjects: one query per subject type present."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.subject_type in NAMES:
            wanted[event.subject_type].add(event.subject_id)
    out: dict[tuple[str, str], str] = {}
    for subject_type, ids in wanted.items():
        label, template = NAMES[subject_type]
        model = apps.get_model(label)
        keys = _valid_keys(model, ids)
        if not keys:
            continue
        fields = _fields(template)
        for row in model._default_manager.filter(pk__in=keys).values("pk", *fields):
            out[(subject_type, str(row["pk"]))] = template.format(**{f: row[f] for f in fields})
    return out


def _valid_keys(model: type, ids: set[str]) -> list[object]:
    """The ids that can name a row of `model` (a malformed id in an old event must not fail the page)."""
    field = model._meta.pk  # type: ignore[attr-defined]
    keys = []
    for raw in ids:
        try:
            keys.append(field.to_python(raw))
        except (ValidationError, ValueError, TypeError):
            continue
    return keys
