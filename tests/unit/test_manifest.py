"""Manifest parsing and diffing for `fleetgate apply`."""

from __future__ import annotations

import pytest

from fleetgate.cli.admin import parse_role
from fleetgate.core.errors import ValidationFailed
from fleetgate.intents import manifest

GOOD = """
name: a
title: A
application: App
version: 1.0.0
target: {boundary: acme, business_unit: finance, site_classes: [online]}
ring_plan: [{ring: lab, target_group: G, device_count: 5}]
rollback_plan: {strategy: uninstall}
"""


def test_multi_document_manifest() -> None:
    items = manifest.load(GOOD + "---\n" + GOOD.replace("name: a", "name: b"))
    assert [d.manifest.name for d in items] == ["a", "b"]
    assert [d.line for d in items] == [2, 11]
    payload = items[0].manifest.payload("app-id")
    assert payload["application"] == "app-id"
    assert payload["ring_plan"] == [{"ring": "lab", "target_group": "G", "device_count": 5}]


@pytest.mark.parametrize(
    ("text", "field", "rule"),
    [
        ("", "manifest", "required"),
        ("---\n", "manifest", "required"),
        ("kind: Other\n" + GOOD, "documents[0].kind", "literal_error"),
        (GOOD + "extra: 1\n", "documents[0].extra", "unknown-field"),
        ("name: [unclosed", "manifest", "yaml"),
        ("a: &x [1]\nb: *x\n", "manifest", "yaml"),
        ("- 1\n- 2\n", "documents[0]", "model_type"),
    ],
)
def test_bad_manifests_name_the_field_and_rule(text: str, field: str, rule: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        manifest.load(text)
    assert (field, rule) in [(e.field, e.rule) for e in caught.value.errors]
    assert field in caught.value.extra["lines"]  # type: ignore[operator]


def test_problems_carry_the_line_of_the_field() -> None:
    text = GOOD.replace("device_count: 5", "device_count: five") + "---\n" + GOOD.replace("title: A\n", "")
    with pytest.raises(ValidationFailed) as caught:
        manifest.load(text)
    lines = caught.value.extra["lines"]
    assert lines == {"documents[0].ring_plan[0].device_count": 7, "documents[1].title": 11}


def test_service_fields_map_to_manifest_paths_and_lines() -> None:
    doc = manifest.load(GOOD)[0]
    issue, line = doc.issue("target_site_classes[0]", "choice", "no")
    assert (issue.field, line) == ("documents[0].target.site_classes[0]", 6)
    issue, line = doc.issue("ring_plan[0].target_group", "required", "no")
    assert (issue.field, line) == ("documents[0].ring_plan[0].target_group", 7)
    assert manifest.manifest_path("rollback_plan.rollback_version") == ("rollback_plan", "rollback_version")


def test_too_many_documents_are_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        manifest.load("---\n".join([GOOD] * (manifest.MAX_DOCUMENTS + 1)))
    assert caught.value.errors[0].rule == "documents"


def test_diff_and_changes_ignore_server_only_fields_and_empty_values() -> None:
    desired = manifest.load(GOOD)[0].manifest.payload("id")
    current = {
        **desired,
        "state": "draft",
        "etag": '"x"',
        "rollback_plan": {"strategy": "uninstall", "rollback_version": None},
    }
    assert manifest.diff(current, desired, "a") == ""
    assert manifest.changes(current, desired) == []
    assert "+title: B" in manifest.diff(current, {**desired, "title": "B"}, "a")


def test_changes_are_field_level_in_manifest_names() -> None:
    desired = manifest.load(GOOD)[0].manifest.payload("id")
    grown = {
        **desired,
        "target_site_classes": ["online", "intermittent"],
        "ring_plan": [
            {**desired["ring_plan"][0], "device_count": 6},
            {"ring": "canary", "target_group": "C", "device_count": 9},
        ],
    }
    changes = {c.field: (c.before, c.after) for c in manifest.changes(desired, grown)}
    assert changes == {
        "target.site_classes": (["online"], ["online", "intermittent"]),
        "ring_plan[0].device_count": (5, 6),
        "ring_plan[1]": (None, {"ring": "canary", "target_group": "C", "device_count": 9}),
    }
    created = manifest.changes(None, desired)
    assert ("title", None, "A") in [(c.field, c.before, c.after) for c in created]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("auditor", {"role": "auditor", "boundary": "*", "business_units": ["*"]}),
        ("publisher:acme", {"role": "publisher", "boundary": "acme", "business_units": ["*"]}),
        ("publisher:acme:hr,it", {"role": "publisher", "boundary": "acme", "business_units": ["hr", "it"]}),
    ],
)
def test_parse_role(spec: str, expected: dict[str, object]) -> None:
    assert parse_role(spec) == expected
