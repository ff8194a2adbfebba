"""Reads scoped like writes: the one queryset filter every domain's reads go through.

A person reads what lies in the scope of one of their grants (acquisition boundary and business unit, as
`Scope.covers` decides for writes); Auditor and Platform Admin read everything; service identities read as
they always did (unfiltered). An object with several business units (an application) is in scope when one
of them is. Each model names where its scope lives with `Fields` (field paths, so related models reuse
them with `via`), and ledger events and notifications resolve their subject's scope by `subject_type`
with a subquery (`subject_filter`), never by filtering rows in Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.apps import apps
from django.db.models import BooleanField, CharField, Func, Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from fleetgate.core.actors import Actor
from fleetgate.core.roles import ANY, Role

READS_EVERYTHING = frozenset({Role.AUDITOR, Role.PLATFORM_ADMIN})

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Fields:
    """Where a model's scope lives: the boundary field and either one business unit (a text field) or a
    list of them (a JSON list field), optionally only for rows matching `when` (e.g. intent is null).
    Naming neither means the whole boundary (a maintenance window for every business unit)."""

    boundary: str
    business_unit: str = ""
    business_units: str = ""
    when: tuple[tuple[str, Any], ...] = field(default=())

    def via(self, prefix: str, **when: Any) -> Fields:
        def join(path: str) -> str:
            return f"{prefix}__{path}" if path else ""

        return Fields(
            join(self.boundary),
            join(self.business_unit),
            join(self.business_units),
            (*self.when, *when.items()),
        )


INTENT = Fields("target_boundary", business_unit="target_business_unit")
APPLICATION = Fields("boundary", business_units="business_units")
OWN = Fields("boundary", business_unit="business_unit")  # incidents: the scope they were opened in
# maintenance windows: one business unit, or (business unit "") every business unit of the boundary
WINDOW = (OWN, Fields("boundary", when=(("business_unit", ""),)))


def sees_everything(actor: Actor | None) -> bool:
    """No filter: internal callers (no actor), service identities, Auditor and Platform Admin."""
    return actor is None or actor.kind != "user" or actor.has_role(*READS_EVERYTHING)


def scope_filter(actor: Actor | None, *alternatives: Fields) -> Q | None:
    """The rows `actor` may read, as a Q (None: everything). Several alternatives are OR-ed (a row whose
    scope comes from its intent, or from its artifact when it has no intent)."""
    if sees_everything(actor):
        return None
    assert actor is not None
    allowed = Q(pk__in=[])  # a person without grants reads nothing scoped
    for grant in actor.grants:
        for fields in alternatives:
            granted = _grant_q(grant.scope.boundary, grant.scope.business_units, fields)
            if not granted:  # an unconditional grant (every boundary, every unit): `Q() | x` would drop it
                return None
            allowed |= granted
    return allowed


def _grant_q(boundary: str, units: frozenset[str], fields: Fields) -> Q:
    q = Q(**dict(fields.when))
    if boundary != ANY:
        q &= Q(**{fields.boundary: boundary}) | Q(**{fields.boundary: ANY})
    if ANY in units or not (fields.business_unit or fields.business_units):  # a boundary-wide row
        return q
    if fields.business_unit:
        return q & Q(**{f"{fields.business_unit}__in": sorted(units)})
    # A JSON list of business units: text match on the quoted value (portable across SQLite and PostgreSQL).
    some = Q(**{f"{fields.business_units}__icontains": json.dumps(ANY)})
    for unit in sorted(units):
        some |= Q(**{f"{fields.business_units}__icontains": json.dumps(unit)})
    return q & some


def scoped(actor: Actor | None, qs: QuerySet[M], *alternatives: Fields) -> QuerySet[M]:
    """`qs` narrowed to what `actor` may read (unchanged for actors who see everything)."""
    allowed = scope_filter(actor, *alternatives)
    return qs if allowed is None else qs.filter(allowed)


def by_intent_id(
    actor: Actor | None, qs: QuerySet[M], field: str = "intent_id", no_intent: Q | None = None
) -> QuerySet[M]:
    """Rows that name an intent by its id without a foreign key (job records): those whose intent is in
    scope, and rows for no intent that `no_intent` admits (all of them when None)."""
    if sees_everything(actor):
        return qs
    intents = scoped(actor, apps.get_model("intents.DeploymentIntent")._default_manager.all(), INTENT)
    without = Q(**{f"{field}__isnull": True}) & (no_intent or Q())
    return qs.filter(without | Q(**{f"{field}__in": intents.values("pk")}))


class UuidText(Func):
    """A UUID column as `str(uuid)` writes it (how ledger subjects and notifications name their subject):
    PostgreSQL casts to text; SQLite stores 32 hex digits, so the dashes are put back."""

    output_field = CharField()

    template = "CAST(%(expressions)s AS text)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        parts = [f"substr({sql}, {start}, {length})" for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
        return "lower(" + " || '-' || ".join(parts) + ")", list(params) * len(parts)


# What a subject_type names and where its scope lives (model labels, not imports: core imports no domain).
SUBJECTS: dict[str, tuple[str, tuple[Fields, ...]]] = {
    "intent": ("intents.DeploymentIntent", (INTENT,)),
    "application": ("catalog.Application", (APPLICATION,)),
    "application_version": ("catalog.ApplicationVersion", (APPLICATION.via("application"),)),
    "artifact": ("catalog.Artifact", (APPLICATION.via("version__application"),)),
    "evidence": ("evidence.EvidenceItem", (APPLICATION.via("artifact__version__application"),)),
    "evidence_pack": ("evidence.EvidencePack", (INTENT.via("intent"),)),
    "risk_assessment": ("risk.RiskAssessment", (INTENT.via("intent"),)),
    "cab_submission": ("approvals.CabSubmission", (INTENT.via("intent"),)),
    "cab_request": ("approvals.CabRequest", (INTENT.via("intent"),)),
    "exception": (
        "approvals.PolicyException",
        (
            INTENT.via("intent", intent__isnull=False),
            APPLICATION.via("artifact__version__application", intent__isnull=True),
        ),
    ),
    "break_glass": ("approvals.BreakGlass", (INTENT.via("intent"),)),
    "incident": ("rollouts.Incident", (OWN,)),
    "window": ("rollouts.MaintenanceWindow", WINDOW),
    "drift": ("reconcile.Drift", (OWN,)),
}
# Subjects that name their intent by id, without a foreign key (job records; integer keys).
BY_INTENT_ID: dict[str, str] = {"reconcile_pass": "worker.JobRun"}


def subject_filter(actor: Actor | None, type_field: str = "subject_type", id_field: str = "subject_id") -> Q | None:
    """Rows about a subject (ledger events, notifications) that `actor` may read: those whose subject is
    in scope, and those about subjects that have no scope (users, keys, policies). None: everything."""
    if sees_everything(actor):
        return None
    allowed = ~Q(**{f"{type_field}__in": [*SUBJECTS, *BY_INTENT_ID]})
    for subject_type, (label, alternatives) in SUBJECTS.items():
        model = apps.get_model(label)
        keys = scoped(actor, model._default_manager.all(), *alternatives).annotate(_key=UuidText("pk"))
        allowed |= Q(**{type_field: subject_type, f"{id_field}__in": keys.values("_key")})
    for subject_type, label in BY_INTENT_ID.items():
        rows = by_intent_id(actor, apps.get_model(label)._default_manager.all())
        keys = rows.annotate(_key=Cast("pk", CharField()))
        allowed |= Q(**{type_field: subject_type, f"{id_field}__in": keys.values("_key")})
    return allowed


def scoped_subjects(actor: Actor | None, qs: QuerySet[M], **fields: str) -> QuerySet[M]:
    if sees_everything(actor):
        return qs
    assert actor is not None  # sees_everything(None) is True
    sql, params = _compiled_subject_filter(actor, qs, fields)
    # the SQL is Django's own compilation of subject_filter (values stay parameters), not text from input
    return qs.filter(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611


# The subject filter is ~20 subqueries: building and compiling it cost a ledger page more than the
# database did (issue 16). Its SQL depends only on the grants' scopes, the model, the field names and
# the database, never on the rows (the subqueries run in the database on every read), so it is
# compiled once per (database, model, fields, scopes) and reused; a changed grant is a new key.
_COMPILED: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}
_COMPILED_MAX = 4096


def _compiled_subject_filter(actor: Actor, qs: QuerySet[Any], fields: dict[str, str]) -> tuple[str, tuple[Any, ...]]:
    scopes = tuple(sorted({(g.role.value, repr(g.scope)) for g in actor.grants}))
    key = (qs.db, qs.model._meta.label, tuple(sorted(fields.items())), scopes)
    found = _COMPILED.get(key)
    if found is None:
        probe = qs.model._default_manager.using(qs.db).filter(subject_filter(actor, **fields))
        sql, params = probe.query.get_compiler(using=qs.db).compile(probe.query.where)
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        found = _COMPILED[key] = (sql, tuple(params))
    return found


def reader(view: Any) -> Actor | None:
    """The actor a viewset's queryset reads as; None (no filter) while drf-spectacular builds the schema,
    which asks for querysets without a signed-in user."""
    return None if getattr(view, "swagger_fake_view", False) else view.actor  # type: ignore[no-any-return]
