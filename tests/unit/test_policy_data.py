"""The embedded default policies are the reference files, and the code agrees with them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleetgate.intents import policy

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


@pytest.mark.parametrize("name", ["ring-policy-v1.json", "risk-rubric-v1.json"])
def test_embedded_policy_equals_the_reference(name: str) -> None:
    if not REFERENCE.exists():
        pytest.skip(f"reference folder not beside the checkout ({REFERENCE})")
    embedded = json.loads((Path(policy.__file__).parent.parent / "policy" / name).read_text())
    assert embedded == json.loads((REFERENCE / name).read_text())


def test_ring_policy_defaults_match_design() -> None:
    doc = policy.embedded_document()
    rings = {r["name"]: r for r in doc["rings"]}
    assert list(rings) == ["lab", "canary", "pilot", "department", "global"]
    assert [rings[r]["success_threshold"] for r in rings] == [0.95, 0.98, 0.97, 0.99, 0.99]
    assert rings["canary"]["ttc_hours"] == {"online": 24, "intermittent": 72, "air_gapped": 168}
    assert rings["lab"]["ttc_hours"]["online"] == 4
    assert doc["stuck_after_hours_without_progress"] == 24


def test_digest_is_canonical() -> None:
    assert policy.digest({"b": 1, "a": [1, 2]}) == policy.digest({"a": [1, 2], "b": 1})
