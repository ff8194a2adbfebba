"""Ring policy 1.1 gate statistics and gate verdicts: the policy's worked examples, exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetgate.rollouts import gates, statistics
from fleetgate.rollouts.states import Outcome

POLICY = json.loads((Path(__file__).parents[2] / "src/fleetgate/policy/ring-policy-v1.1.json").read_text())
RINGS = {r["name"]: r for r in POLICY["rings"]}


def _evaluate(ring: str, successes: int, failures: int) -> statistics.SuccessStatistic:
    spec = RINGS[ring]
    return statistics.evaluate(successes, failures, spec["gate"], spec["success_threshold"])


def test_the_embedded_policy_is_the_reference_file() -> None:
    reference = Path("/work/shared/reference/ring-policy-v1.1.json")
    if reference.exists():
        assert json.loads(reference.read_text()) == POLICY


@pytest.mark.parametrize(
    "example", POLICY["worked_examples"], ids=lambda e: f"{e['ring']}-{e['successes']}-{e['failures']}"
)
def test_worked_examples_reproduce_exactly(example: dict[str, Any]) -> None:
    result = _evaluate(example["ring"], example["successes"], example["failures"])
    assert result.outcome == example["outcome"]
    if "lower" in example:
        assert result.lower == pytest.approx(example["lower"], abs=5e-5)
        assert result.upper == pytest.approx(example["upper"], abs=5e-5)


@settings(max_examples=300, deadline=None)
@given(
    ring=st.sampled_from(sorted(RINGS)),
    successes=st.integers(0, 60_000),
    failures=st.integers(0, 3_000),
    more=st.integers(1, 5_000),
)
def test_more_successes_never_turn_pass_into_fail(ring: str, successes: int, failures: int, more: int) -> None:
    before = _evaluate(ring, successes, failures).outcome
    after = _evaluate(ring, successes + more, failures).outcome
    if before == Outcome.PASS:
        assert after == Outcome.PASS
    if before != Outcome.FAIL:
        assert after != Outcome.FAIL


@settings(max_examples=300, deadline=None)
@given(ring=st.sampled_from(sorted(RINGS)), successes=st.integers(0, 2_000), failures=st.integers(0, 200))
def test_below_min_sample_never_passes(ring: str, successes: int, failures: int) -> None:
    n = successes + failures
    result = _evaluate(ring, successes, failures)
    if n < RINGS[ring]["gate"]["min_sample"]:
        assert result.outcome != Outcome.PASS


def test_unknown_statistic_and_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown gate statistic"):
        statistics.evaluate(1, 0, {"statistic": "mean", "min_sample": 1}, 0.9)
    with pytest.raises(ValueError):
        statistics.evaluate(-1, 0, RINGS["lab"]["gate"], 0.95)


def facts(**overrides: Any) -> gates.RingFacts:
    base: dict[str, Any] = {
        "ring": "pilot",
        "ring_policy": RINGS["pilot"],
        "halt_on": POLICY["halt_on"],
        "next_ring": "department",
        "installed": 990,
        "failed": 10,
        "pending": 0,
        "elapsed_hours": 49.0,
        "pending_by_site_class": {},
        "site_classes": ("online",),
        "pack_version": 1,
        "rollback_evidence": "sealed pack v1",
    }
    return gates.RingFacts(**{**base, **overrides})


def test_all_gates_pass_promotes() -> None:
    checks = gates.evaluate(facts())
    assert {c.gate for c in checks} == set(gates.GATES)
    assert gates.verdict(checks).step == "promote"


def test_soak_holds_and_break_glass_skips_only_soak() -> None:
    assert gates.verdict(gates.evaluate(facts(elapsed_hours=10))).step == "hold"
    assert gates.verdict(gates.evaluate(facts(elapsed_hours=10, skip_soak=True))).step == "promote"
    failing = facts(elapsed_hours=10, skip_soak=True, installed=950, failed=50)
    assert gates.verdict(gates.evaluate(failing)).step == "halt"


def test_cab_condition_raises_threshold_and_soak() -> None:
    strict = facts(conditions={"min_success_threshold": 0.995, "min_soak_hours": 72})
    by = {c.gate: c for c in gates.evaluate(strict)}
    assert by["success_rate"].outcome == Outcome.FAIL  # upper 0.9946 < 0.995
    assert by["min_soak"].outcome == Outcome.WAITING
    assert by["success_rate"].inputs["threshold"] == 0.995


def test_failure_rate_above_bound_halts_after_min_sample() -> None:
    check = gates.failure_rate_bound(facts(installed=80, failed=20))
    assert check is not None
    assert check.outcome == Outcome.FAIL
    # the rollout still draws the statistic: n, successes, failures, the interval and the threshold
    assert (check.inputs["failure_rate"], check.inputs["n"], check.inputs["failures"]) == (0.2, 100, 20)
    assert {"lower", "upper", "threshold", "successes"} <= set(check.inputs)
    assert gates.failure_rate_bound(facts(installed=5, failed=5)) is None  # below min_sample 100


def test_inconclusive_past_time_to_compliance_asks_for_judgment() -> None:
    small = facts(installed=100, failed=0)
    assert gates.verdict(gates.evaluate(small)).step == "judgment"
    waiting = facts(installed=100, failed=0, pending=5, pending_by_site_class={"online": 5}, elapsed_hours=20)
    assert gates.verdict(gates.evaluate(waiting)).step == "hold"


def test_blocking_preconditions_hold_and_say_why() -> None:
    for name, override in [
        ("cab_approval_where_required", {"cab_reasons": ("pilot needs a CAB approval",)}),
        ("evidence_pack_valid", {"pack_problems": ("pack v2 supersedes v1",)}),
        ("exceptions_unexpired", {"exception_reasons": ("exception expired",)}),
        ("window_open", {"window_problem": "global change freeze: audit"}),
    ]:
        checks = {c.gate: c for c in gates.evaluate(facts(**override))}
        assert checks[name].outcome == Outcome.BLOCKED
        assert gates.verdict(list(checks.values())).step == "hold"


def test_rollback_validated_before_canary() -> None:
    lab = facts(ring="lab", ring_policy=RINGS["lab"], next_ring="canary", installed=8, failed=0, rollback_evidence="")
    by = {c.gate: c for c in gates.evaluate(lab)}
    assert by["rollback_validated"].outcome == Outcome.BLOCKED


def test_security_incidents_fail_or_hold_by_priority() -> None:
    p1 = facts(incidents=(gates.IncidentFact("i", "P1", True, 1.0),))
    p3 = facts(incidents=(gates.IncidentFact("i", "P3", True, 1.0),))
    assert gates.verdict(gates.evaluate(p1)).step == "halt"
    assert gates.verdict(gates.evaluate(p3)).step == "hold"
