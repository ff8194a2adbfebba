"""Manifest parsing and diffing for `fleetgate apply`."""

from __future__ import annotations

import pytest

from fleetgate.cli import manifest
from fleetgate.cli.admin import parse_role

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
    items = manifest.load(GOOD + "---\n" + GOOD.replace("name: a", "name: b"), "f.yaml")
    assert [m.name for m in items] == ["a", "b"]
    payload = items[0].payload("app-id")
    assert payload["application"] == "app-id"
    assert payload["ring_plan"] == [{"ring": "lab", "target_group": "G", "device_count": 5}]


@pytest.mark.parametrize("text", ["", "---\n", "kind: Other\n" + GOOD, GOOD + "extra: 1\n"])
def test_bad_manifests(text: str) -> None:
    with pytest.raises(manifest.ManifestError):
        manifest.load(text, "f.yaml")


def test_diff_ignores_server_only_fields_and_empty_values() -> None:
    desired = manifest.load(GOOD, "f")[0].payload("id")
    current = {
        **desired,
        "state": "draft",
        "etag": '"x"',
        "rollback_plan": {"strategy": "uninstall", "rollback_version": None},
    }
    assert manifest.diff(current, desired, "a") == ""
    assert "+title: B" in manifest.diff(current, {**desired, "title": "B"}, "a")


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
