"""Risk scoring as pure functions: the rubric's worked examples exactly, derivation rules, and
properties (hypothesis): bounded, monotone in each factor, independent of input order, and the same
in another process."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetgate.core.errors import ValidationFailed
from fleetgate.risk import explain, factors, rubric, scoring
from fleetgate.risk.factors import Facts
from fleetgate.risk.scoring import FactorValue

DOCUMENT = rubric.embedded_document()
RUBRIC = rubric.load(DOCUMENT)
OPTIONS = {name: sorted(spec.options) for name, spec in RUBRIC.factors.items()}


def _values(choice: dict[str, str]) -> dict[str, FactorValue]:
    return {f: FactorValue(f, o, RUBRIC.factors[f].options[o], "test", "") for f, o in choice.items()}


@pytest.mark.parametrize("example", DOCUMENT["worked_examples"], ids=lambda e: e["app"])
def test_worked_examples_reproduce_exactly(example: dict[str, Any]) -> None:
    result = scoring.score(RUBRIC, _values(example["inputs"]), privileged_tooling="privileged" in example["app"])
    assert result.raw == Decimal(str(example["raw"]))
    assert result.score == example["expected_score"]
    assert result.cab_required is example["cab_required"]


def _facts(**kw: Any) -> Facts:
    base: dict[str, Any] = {
        "findings": [],
        "excepted_findings": [],
        "signature": "verified",
        "provenance": "verified",
        "largest_ring_devices": 80,
        "category": "productivity",
        "privileged_tooling": False,
        "outcomes": {"completed": 120},
    }
    return Facts(**{**base, **kw})


DECLARED_EDITOR = {
    "privilege_impact": {"option": "user_context", "justification": "user context only"},
    "exploitability": {"option": "no_listener_no_scripting", "justification": "no listener"},
    "data_access": {"option": "own_data_directory", "justification": "own data"},
    "operational_complexity": {"option": "online_no_reboot_under_5_min", "justification": "quick"},
}


def test_worked_example_one_end_to_end_from_facts() -> None:
    result = explain.compute(DOCUMENT, {"facts": _facts().as_dict(), "declared": DECLARED_EDITOR})
    assert (result["raw"], result["score"], result["cab_required"]) == ("13.5", 14, False)
    assert {k: v["option"] for k, v in result["factors"].items() if v["source"] == "derived"} == {
        "sbom_vulnerability": "no_high_or_critical",
        "supply_chain_trust": "signed_known_publisher_with_provenance",
        "blast_radius": "under_100",
        "history": "no_incidents_over_99_percent_success",
    }


def test_worked_example_two_end_to_end_from_facts() -> None:
    declared = {
        "privilege_impact": {"option": "admin_or_service_elevated", "justification": "kernel-adjacent service"},
        "exploitability": {"option": "privileged_listener_or_elevated_service", "justification": "elevated svc"},
        "data_access": {"option": "wide_filesystem_and_credentials", "justification": "scans everything"},
        "operational_complexity": {"option": "reboot_required", "justification": "driver update reboots"},
    }
    facts = _facts(largest_ring_devices=25_000, outcomes={}, privileged_tooling=True, category="productivity")
    result = explain.compute(DOCUMENT, {"facts": facts.as_dict(), "declared": declared})
    assert (result["raw"], result["score"], result["cab_required"]) == ("61.5", 62, True)
    assert result["reasons"] == ["score 62 > 50: CAB before pilot", "privileged tooling always needs CAB"]


@pytest.mark.parametrize(
    ("devices", "option"),
    [
        (1, "under_10_devices"),
        (9, "under_10_devices"),
        (10, "under_100"),
        (99, "under_100"),
        (100, "under_1000"),
        (999, "under_1000"),
        (1000, "1000_to_10000"),
        (10_000, "1000_to_10000"),
        (10_001, "over_10000"),
    ],
)
def test_blast_radius_bands(devices: int, option: str) -> None:
    assert factors.blast_radius(_facts(largest_ring_devices=devices))[0] == option


def test_critical_infrastructure_multiplies_blast_radius_capped() -> None:
    assert factors.derive(RUBRIC, _facts(largest_ring_devices=500, category="security"))[
        "blast_radius"
    ].value == Decimal("0.60")
    capped = factors.derive(RUBRIC, _facts(largest_ring_devices=50_000, blast_radius_class="critical_infrastructure"))
    assert capped["blast_radius"].value == Decimal("1.0")
    plain = factors.derive(
        RUBRIC, _facts(largest_ring_devices=500, category="security", blast_radius_class="productivity")
    )
    assert plain["blast_radius"].value == Decimal("0.5")


@pytest.mark.parametrize(
    ("findings", "excepted", "option"),
    [
        ([], [], "no_high_or_critical"),
        ([{"id": "a", "severity": "Low"}, {"id": "b", "severity": "Medium"}], [], "low_medium_only"),
        ([{"id": "a", "severity": "High"}], ["a"], "high_with_exception"),
        ([{"id": "a", "severity": "High"}], [], "high_with_exception"),
        ([{"id": "a", "severity": "Critical"}], ["a"], "critical_with_exception"),
        (
            [{"id": "a", "severity": "Critical"}, {"id": "b", "severity": "Critical"}],
            ["a"],
            "critical_without_exception_blocked",
        ),
    ],
)
def test_sbom_vulnerability(findings: list[dict[str, str]], excepted: list[str], option: str) -> None:
    assert factors.sbom_vulnerability(_facts(findings=findings, excepted_findings=excepted))[0] == option


@pytest.mark.parametrize(
    ("signature", "provenance", "option"),
    [
        ("verified", "verified", "signed_known_publisher_with_provenance"),
        ("verified", "declared", "signed_known_publisher_weak_provenance"),
        ("declared", "verified", "signed_unknown_publisher"),
        ("none", "verified", "unsigned_or_self_signed"),
        ("none", "none", "unsigned_uncertain_provenance"),
    ],
)
def test_supply_chain_trust(signature: str, provenance: str, option: str) -> None:
    assert factors.supply_chain_trust(_facts(signature=signature, provenance=provenance))[0] == option


@pytest.mark.parametrize(
    ("outcomes", "incidents", "option"),
    [
        ({}, 0, "no_history"),
        ({"completed": 5}, 0, "no_incidents_over_99_percent_success"),
        ({"completed": 99, "failed": 1}, 0, "minor_under_5_percent_failure_easy_rollback"),
        ({"completed": 9, "rolled_back": 1}, 0, "moderate_5_to_10_percent_failure"),
        ({"completed": 4, "failed": 1}, 0, "major_over_10_percent_failure_hard_rollback"),
        ({"completed": 4}, 1, "prior_security_incident"),
    ],
)
def test_history(outcomes: dict[str, int], incidents: int, option: str) -> None:
    assert factors.history(_facts(outcomes=outcomes, security_incidents=incidents))[0] == option


def test_rubric_validation_names_fields() -> None:
    broken = json.loads(json.dumps(DOCUMENT))
    broken["factors"]["history"]["weight"] = 11
    broken["factors"]["blast_radius"]["options"]["under_100"] = 1.5
    del broken["thresholds"]["automated_max"]
    with pytest.raises(ValidationFailed) as caught:
        rubric.load(broken)
    assert {(e.field, e.rule) for e in caught.value.errors} == {
        ("factors", "weights-sum-100"),
        ("factors.blast_radius.options.under_100", "range"),
        ("thresholds.automated_max", "required"),
    }


def test_round_half_up_not_bankers() -> None:
    assert [scoring.round_half_up(Decimal(v)) for v in ("0.5", "1.5", "2.5", "13.5", "13.49")] == [1, 2, 3, 14, 13]


choices = st.fixed_dictionaries({name: st.sampled_from(opts) for name, opts in OPTIONS.items()})


@settings(max_examples=200, deadline=None)
@given(choice=choices, privileged=st.booleans())
def test_score_is_bounded(choice: dict[str, str], privileged: bool) -> None:
    result = scoring.score(RUBRIC, _values(choice), privileged_tooling=privileged)
    assert 0 <= result.score <= 100
    assert Decimal(0) <= result.raw <= Decimal(100)
    assert result.cab_required == (result.score > 50 or privileged)


@settings(max_examples=200, deadline=None)
@given(choice=choices, factor=st.sampled_from(sorted(OPTIONS)), data=st.data())
def test_score_is_monotone_in_each_factor(choice: dict[str, str], factor: str, data: st.DataObject) -> None:
    other = data.draw(st.sampled_from(OPTIONS[factor]))
    low, high = sorted([choice[factor], other], key=lambda o: RUBRIC.factors[factor].options[o])
    a = scoring.score(RUBRIC, _values({**choice, factor: low}), privileged_tooling=False)
    b = scoring.score(RUBRIC, _values({**choice, factor: high}), privileged_tooling=False)
    assert a.raw <= b.raw
    assert a.score <= b.score


@settings(max_examples=100, deadline=None)
@given(choice=choices, seed=st.randoms())
def test_score_is_independent_of_input_order(choice: dict[str, str], seed: Any) -> None:
    items = list(_values(choice).items())
    seed.shuffle(items)
    assert scoring.score(RUBRIC, dict(items), privileged_tooling=False) == scoring.score(
        RUBRIC, _values(choice), privileged_tooling=False
    )


def test_identical_in_another_process() -> None:
    """Score a batch here and in a fresh interpreter (other hash seed): byte-identical results."""
    import random

    rng = random.Random(4)
    batch = [{name: rng.choice(opts) for name, opts in OPTIONS.items()} for _ in range(300)]
    here = [scoring.score(RUBRIC, _values(c), privileged_tooling=False).as_dict() for c in batch]
    code = (
        "import json,sys\n"
        "from fleetgate.risk import rubric, scoring\n"
        "r = rubric.load(rubric.embedded_document())\n"
        "out = []\n"
        "for c in json.load(sys.stdin):\n"
        "    v = {f: scoring.FactorValue(f, o, r.factors[f].options[o], 'test', '') for f, o in c.items()}\n"
        "    out.append(scoring.score(r, v, privileged_tooling=False).as_dict())\n"
        "print(json.dumps(out))\n"
    )
    there = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(batch),
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"},
    )
    assert json.loads(there.stdout) == here
