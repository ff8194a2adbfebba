"""Derived factors: computed from recorded facts (verified evidence, the intent, past outcomes), never typed in.

`Facts` is exactly what an assessment stores as its input snapshot, so replay re-derives from it.
Critical infrastructure: the application's blast-radius class is critical_infrastructure (which
defaults from category infrastructure / security); those get blast_radius x 1.2, capped at 1.0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from fleetgate.risk.rubric import Rubric
from fleetgate.risk.scoring import FactorValue

CRITICAL_INFRASTRUCTURE_CATEGORIES = frozenset({"infrastructure", "security"})
FAILED_OUTCOMES = ("failed", "rolled_back", "halted")  # past rollouts that did not finish cleanly
HIGH_SEVERITIES = ("High", "Unknown")  # a finding of unknown severity counts as High until someone rates it


@dataclass(frozen=True)
class Facts:
    """Everything the derived factors depend on, as plain JSON-able values."""

    findings: list[dict[str, str]]  # {"id", "severity"} of Critical/High/Medium/Low/Unknown findings
    excepted_findings: list[str]  # finding ids with an approved, unexpired exception
    signature: str  # "verified" | "declared" | "none"
    provenance: str  # "verified" | "declared" | "none"
    largest_ring_devices: int
    category: str
    privileged_tooling: bool
    outcomes: dict[str, int] = field(default_factory=dict)  # this application's past intents by final state
    security_incidents: int = 0
    incidents: int = 0  # other past P0 to P2 incidents of this application (not security)
    blast_radius_class: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Facts:
        return cls(**data)

    @property
    def critical_infrastructure(self) -> bool:
        if self.blast_radius_class:
            return self.blast_radius_class == "critical_infrastructure"
        return self.category in CRITICAL_INFRASTRUCTURE_CATEGORIES


def sbom_vulnerability(facts: Facts) -> tuple[str, str]:
    excepted = set(facts.excepted_findings)
    critical = {f["id"] for f in facts.findings if f["severity"] == "Critical"}
    high = {f["id"] for f in facts.findings if f["severity"] in HIGH_SEVERITIES}
    if critical - excepted:
        return (
            "critical_without_exception_blocked",
            f"Critical without exception: {', '.join(sorted(critical - excepted))}",
        )
    if critical:
        return "critical_with_exception", f"Critical, all under approved exceptions: {', '.join(sorted(critical))}"
    if high:
        # The rubric has no "High without exception" option; it scores as high_with_exception, and
        # completeness blocks sealing until an exception is approved.
        unexcepted = high - excepted
        note = f"; without exception (sealing blocked): {', '.join(sorted(unexcepted))}" if unexcepted else ""
        unknown = {f["id"] for f in facts.findings if f["severity"] == "Unknown"}
        rated = f" ({', '.join(sorted(unknown))} of unknown severity, counted as High)" if unknown else ""
        return "high_with_exception", f"High: {', '.join(sorted(high))}{rated}{note}"
    if facts.findings:
        return "low_medium_only", f"{len(facts.findings)} Low/Medium finding(s), no High or Critical"
    return "no_high_or_critical", "No findings"


def supply_chain_trust(facts: Facts) -> tuple[str, str]:
    if facts.signature == "verified" and facts.provenance == "verified":
        return (
            "signed_known_publisher_with_provenance",
            "Signature verified with a registered key; SLSA provenance verified",
        )
    if facts.signature == "verified":
        return (
            "signed_known_publisher_weak_provenance",
            f"Signature verified with a registered key; provenance {facts.provenance}",
        )
    if facts.signature == "declared":
        return "signed_unknown_publisher", "Only a declared platform signature (Fleetgate cannot verify it)"
    if facts.provenance in ("verified", "declared"):
        return "unsigned_or_self_signed", f"No signature; provenance {facts.provenance}"
    return "unsigned_uncertain_provenance", "No signature and no provenance"


BLAST_BANDS = ((10, "under_10_devices"), (100, "under_100"), (1000, "under_1000"))


def blast_radius(facts: Facts) -> tuple[str, str]:
    devices = facts.largest_ring_devices
    option = next((name for limit, name in BLAST_BANDS if devices < limit), None)
    if option is None:
        option = "1000_to_10000" if devices <= 10_000 else "over_10000"
    return option, f"Largest ring targets {devices} device(s)"


def history(facts: Facts) -> tuple[str, str]:
    """Past outcomes of this application: a security incident dominates; otherwise the share of past
    rollouts that failed, were rolled back or halted; a past incident rules out the cleanest band."""
    if facts.security_incidents:
        return "prior_security_incident", f"{facts.security_incidents} prior security incident(s)"
    total = sum(facts.outcomes.get(s, 0) for s in ("completed", *FAILED_OUTCOMES))
    if not total and not facts.incidents:
        return "no_history", "No finished rollouts of this application yet (neutral)"
    failed = sum(facts.outcomes.get(s, 0) for s in FAILED_OUTCOMES)
    rate = Decimal(failed) / Decimal(total) if total else Decimal(0)
    text = f"{failed} of {total} past rollout(s) failed, were rolled back or halted"
    if facts.incidents:
        text += f"; {facts.incidents} past incident(s)"
    if failed == 0 and not facts.incidents:
        return "no_incidents_over_99_percent_success", text
    if rate < Decimal("0.05"):
        return "minor_under_5_percent_failure_easy_rollback", text
    if rate <= Decimal("0.10"):
        return "moderate_5_to_10_percent_failure", text
    return "major_over_10_percent_failure_hard_rollback", text


DERIVERS = {
    "sbom_vulnerability": sbom_vulnerability,
    "supply_chain_trust": supply_chain_trust,
    "blast_radius": blast_radius,
    "history": history,
}


def derive(rubric: Rubric, facts: Facts) -> dict[str, FactorValue]:
    values: dict[str, FactorValue] = {}
    for name in rubric.derived:
        option, rationale = DERIVERS[name](facts)
        spec = rubric.factors[name]
        value = spec.options[option]
        if name == "blast_radius" and spec.multiplier is not None and facts.critical_infrastructure:
            value = min(spec.cap, value * spec.multiplier)
            rationale += f"; critical infrastructure x {spec.multiplier}, capped at {spec.cap}"
        values[name] = FactorValue(name, option, value, "derived", rationale)
    return values


def declared(rubric: Rubric, choices: dict[str, dict[str, str]]) -> dict[str, FactorValue]:
    """Declared factors as validated {factor: {option, justification}} (see services for validation)."""
    return {
        name: FactorValue(
            name, choice["option"], rubric.factors[name].options[choice["option"]], "declared", choice["justification"]
        )
        for name, choice in choices.items()
    }
