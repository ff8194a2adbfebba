"""`apply_manifest`: what `fleetgate apply -f` and the console's Apply page do, all or nothing."""

from __future__ import annotations

import pytest

from fleetgate.audit.models import LedgerEvent
from fleetgate.core.errors import Conflict, Forbidden, ScopeViolation, ValidationFailed
from fleetgate.core.roles import Role
from fleetgate.intents import services
from fleetgate.intents.models import DeploymentIntent
from tests.factories import World, make_actor, make_application, make_version

R = Role

MANIFEST = """\
kind: DeploymentIntent
name: {name}
title: {title}
application: {app}
version: 1.0.0
target: {{boundary: acme, business_unit: finance, site_classes: [online]}}
ring_plan:
  - {{ring: lab, target_group: FG-LAB, device_count: 8}}
  - {{ring: canary, target_group: {group}, device_count: 80}}
rollback_plan: {{strategy: uninstall}}
"""


def _text(world: World, name: str = "ff-finance", title: str = "Firefox", group: str = "FG-CANARY") -> str:
    return MANIFEST.format(name=name, title=title, app=world.app.name, group=group)


def test_dry_run_reports_the_create_and_leaves_nothing(world: World) -> None:
    before = LedgerEvent.objects.count()
    [outcome] = services.apply_manifest(actor=world.publisher, text=_text(world), dry_run=True)
    assert (outcome.action, outcome.name, outcome.document, outcome.line, outcome.intent_id) == (
        "create",
        "ff-finance",
        1,
        1,
        None,
    )
    assert ("title", None, "Firefox") in [(c.field, c.before, c.after) for c in outcome.changes]
    assert "+title: Firefox" in outcome.diff
    assert not DeploymentIntent.objects.exists()
    assert LedgerEvent.objects.count() == before


def test_apply_creates_then_is_unchanged_then_updates_field_by_field(world: World) -> None:
    [created] = services.apply_manifest(actor=world.publisher, text=_text(world), dry_run=False)
    intent = DeploymentIntent.objects.get(name="ff-finance")
    assert (created.action, created.intent_id) == ("create", str(intent.pk))
    assert LedgerEvent.objects.order_by("-sequence").first().action == "intent.created"  # type: ignore[union-attr]
    [again] = services.apply_manifest(actor=world.publisher, text=_text(world), dry_run=False)
    assert (again.action, again.changes, again.diff) == ("unchanged", [], "")

    text = _text(world, title="Firefox ESR").replace("device_count: 80", "device_count: 90")
    [dry] = services.apply_manifest(actor=world.publisher, text=text, dry_run=True)
    assert [(c.field, c.before, c.after) for c in dry.changes] == [
        ("title", "Firefox", "Firefox ESR"),
        ("ring_plan[1].device_count", 80, 90),
    ]
    assert DeploymentIntent.objects.get(pk=intent.pk).revision == 1
    [updated] = services.apply_manifest(actor=world.publisher, text=text, dry_run=False)
    assert updated.action == "update"
    intent.refresh_from_db()
    assert (intent.title, intent.ring_plan[1]["device_count"], intent.revision) == ("Firefox ESR", 90, 2)
    assert LedgerEvent.objects.order_by("-sequence").first().action == "intent.updated"  # type: ignore[union-attr]


def test_errors_from_every_document_are_named_by_field_and_line_and_nothing_is_applied(world: World) -> None:
    good = _text(world, name="good-one")
    bad = _text(world, name="bad-one", group="''").replace("version: 1.0.0", "version: 9.9.9")
    before = LedgerEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.apply_manifest(actor=world.publisher, text=good + "---\n" + bad, dry_run=False)
    fields = {e.field: e.rule for e in caught.value.errors}
    assert fields == {"documents[1].ring_plan[1].target_group": "required"}
    assert caught.value.extra["lines"] == {"documents[1].ring_plan[1].target_group": 20}
    assert not DeploymentIntent.objects.exists()  # the good document was rolled back with the bad one
    assert LedgerEvent.objects.count() == before


def test_unknown_version_and_application_are_field_problems(world: World) -> None:
    text = _text(world).replace("version: 1.0.0", "version: 9.9.9")
    with pytest.raises(ValidationFailed) as caught:
        services.apply_manifest(actor=world.publisher, text=text, dry_run=True)
    assert [(e.field, e.rule) for e in caught.value.errors] == [("documents[0].version", "exists")]
    assert caught.value.extra["lines"] == {"documents[0].version": 5}
    text = _text(world).replace(world.app.name, "No Such App")
    with pytest.raises(ValidationFailed) as caught:
        services.apply_manifest(actor=world.publisher, text=text, dry_run=True)
    assert [(e.field, e.rule) for e in caught.value.errors] == [("documents[0].application", "exists")]


def test_an_intent_keeps_its_application(world: World) -> None:
    services.apply_manifest(actor=world.publisher, text=_text(world), dry_run=False)
    other = make_application(world.actors[R.PLATFORM_ADMIN], name="Other App")
    make_version(world.actors[R.PACKAGING_ENGINEER], other)
    with pytest.raises(ValidationFailed) as caught:
        services.apply_manifest(
            actor=world.publisher, text=_text(world).replace(world.app.name, "Other App"), dry_run=True
        )
    assert [(e.field, e.rule) for e in caught.value.errors] == [("documents[0].application", "immutable")]


def test_a_dry_run_is_refused_as_applying_would_be(world: World) -> None:
    with pytest.raises(Forbidden):
        services.apply_manifest(actor=world.actors[R.AUDITOR], text=_text(world), dry_run=True)
    outside = _text(world).replace("boundary: acme", "boundary: globex")
    with pytest.raises(ScopeViolation):  # the publisher holds acme only
        services.apply_manifest(actor=world.publisher, text=outside, dry_run=True)


def test_a_name_taken_outside_the_publishers_sight_is_a_conflict(world: World) -> None:
    world.intent(name="taken-name", target_business_unit="engineering")
    finance_only = make_actor(R.PUBLISHER, business_units=["finance"])  # cannot read the engineering intent
    with pytest.raises(Conflict):
        services.apply_manifest(actor=finance_only, text=_text(world, name="taken-name"), dry_run=True)
