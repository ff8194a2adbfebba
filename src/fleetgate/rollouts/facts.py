"""Gather what a ring's gates decide on (``gates.RingFacts``) from the records of every domain.

Read-only: counts come from the last observation stored on each plane target; approvals,
exceptions, incidents, packs and calendars from their own queries.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from fleetgate.approvals import queries as approvals
from fleetgate.approvals.models import CabRequest
from fleetgate.approvals.states import RequestState
from fleetgate.evidence import verify as verifier
from fleetgate.evidence.models import EvidencePack, SealKey
from fleetgate.intents.models import DeploymentIntent
from fleetgate.risk import queries as risk
from fleetgate.rollouts import calendar, offline, queries
from fleetgate.rollouts.clock import Clock
from fleetgate.rollouts.gates import IncidentFact, RingFacts
from fleetgate.rollouts.models import RingRun, Rollout
from fleetgate.rollouts.routing import ring_site_class


def ring_facts(rollout: Rollout, run: RingRun, clock: Clock) -> RingFacts:
    intent = rollout.intent
    document = intent.ring_policy.document
    plan = intent.rings
    position = plan.index(run.ring)
    next_ring = plan[position + 1] if position + 1 < len(plan) else None
    now = clock.now()
    targets = list(run.targets.all())
    checks = approvals.promotion_checks(intent, next_ring or run.ring, now)
    assessment = risk.latest(intent.pk)
    openness = window_state(intent, now)
    reapprovals = pack_reapprovals(rollout)
    sites = offline.site_counts(intent.pk, run.ring)  # air-gapped sites' signed results bundles
    pending_by_site = _pending_by_site(targets, intent, ring_site_class(intent, run.position))
    for site in sites:
        pending_by_site[site.site_class] = pending_by_site.get(site.site_class, 0) + site.pending
    return RingFacts(
        ring=run.ring,
        ring_policy=intent.ring_policy.ring(run.ring),
        halt_on=document.get("halt_on", {}),
        next_ring=next_ring,
        installed=sum(int(t.counts.get("installed", 0)) for t in targets) + sum(s.installed for s in sites),
        failed=sum(int(t.counts.get("failed", 0)) for t in targets) + sum(s.failed for s in sites),
        pending=sum(int(t.counts.get("pending", 0)) for t in targets) + sum(s.pending for s in sites),
        elapsed_hours=clock.elapsed(run.assigned_at, now).total_seconds() / 3600,
        pending_by_site_class=pending_by_site,
        site_classes=tuple(intent.target_site_classes),
        conditions=checks["cab"].conditions,
        skip_soak=checks["cab"].skip_soak,
        incidents=tuple(_incidents(intent, clock, now)),
        cab_required=bool(assessment and assessment.cab_required),
        cab_reasons=tuple(checks["cab"].reasons),
        exception_reasons=tuple(checks["exceptions"].reasons),
        pack_problems=tuple(checks["other"].reasons) + tuple(pack_problems(rollout)),
        pack_version=pack_in_force(rollout),
        pack_pending_requests=tuple(reapprovals["pending"]),
        pack_rejected_requests=tuple(reapprovals["rejected"]),
        rollback_evidence=rollback_evidence(intent),
        window_problem=openness.problem,
        window_next_open=openness.next_open.isoformat() if openness.next_open else "",
    )


def _pending_by_site(targets: list, intent: DeploymentIntent, ring_site: str = "") -> dict[str, int]:
    """Pending devices per site class, as the planes reported them.

    A pending device whose plane does not say its site class is counted under the site class the
    ring targets when the ring names one (``ring_plan[i].site_class``, or the intent's only target
    class); when the ring spans several classes, under the slowest class the intent targets, so an
    unclassified device is never declared overdue before the most patient deadline it could have.
    """
    order = ["online", "intermittent", "air_gapped"]
    slowest = max(intent.target_site_classes or ["online"], key=lambda s: order.index(s) if s in order else 0)
    fallback = ring_site or slowest
    out: dict[str, int] = {}
    for target in targets:
        known = {k: int(v) for k, v in (target.site_classes or {}).items() if k}
        for site, count in known.items():
            out[site] = out.get(site, 0) + count
        rest = int(target.counts.get("pending", 0)) - sum(known.values())
        if rest > 0:
            out[fallback] = out.get(fallback, 0) + rest
    return out


def _incidents(intent: DeploymentIntent, clock: Clock, now: datetime) -> list[IncidentFact]:
    return [
        IncidentFact(
            str(i.pk), i.priority, i.security, round(clock.elapsed(i.opened_at, now).total_seconds() / 3600, 2)
        )
        for i in queries.open_incidents(intent)
    ]


def pack_problems(rollout: Rollout) -> list[str]:
    """Each deployed artifact's newest pack must be the one the rollout started on (or one CAB approved
    again since, when it was re-sealed mid-rollout), and verify."""
    problems: list[str] = []
    pins = tuple(SealKey.objects.order_by("pk").values_list("public_pem", flat=True))
    for artifact_id, version in rollout.pack_versions.items():
        newest = _newest_pack(rollout, artifact_id)
        if newest is None:
            problems.append(f"the evidence pack of artifact {artifact_id} is gone")
            continue
        if newest.version != version:
            problems.extend(_superseded(newest, version))
        failure = _verification_failure(newest.sealed_json, newest.sha256, pins)
        if failure:
            problems.append(f"evidence pack v{newest.version} does not verify: {failure}")
    return problems


def pack_reapprovals(rollout: Rollout) -> dict[str, list[str]]:
    """The CAB re-approval requests of packs re-sealed since the start: pending and rejected, by id."""
    out: dict[str, list[str]] = {"pending": [], "rejected": []}
    for artifact_id, version in rollout.pack_versions.items():
        newest = _newest_pack(rollout, artifact_id)
        request = _reapproval(newest) if newest is not None and newest.version != version else None
        if request is not None and request.state in (RequestState.OPEN, RequestState.REJECTED):
            out["pending" if request.state == RequestState.OPEN else "rejected"].append(str(request.pk))
    return out


def pack_in_force(rollout: Rollout) -> int:
    """The newest pack version the rollout runs on: the one it started on, or a re-sealed one CAB approved."""
    versions = [0]
    for artifact_id, version in rollout.pack_versions.items():
        newest = _newest_pack(rollout, artifact_id)
        request = _reapproval(newest) if newest is not None and newest.version != version else None
        versions.append(newest.version if newest and request and request.state == RequestState.APPROVED else version)
    return max(versions)


def _newest_pack(rollout: Rollout, artifact_id: str) -> EvidencePack | None:
    packs = EvidencePack.objects.filter(intent_id=rollout.intent_id, artifact_id=artifact_id)
    return packs.order_by("-version").first()


def _reapproval(pack: EvidencePack) -> CabRequest | None:
    return CabRequest.objects.filter(evidence_pack=pack).order_by("-created_at").first()


def _superseded(newest: EvidencePack, version: int) -> list[str]:
    request = _reapproval(newest)
    head = f"evidence pack v{newest.version} supersedes v{version} the rollout was approved on"
    if request is None or request.state == RequestState.VOIDED:
        return [f"{head}; it needs approval again"]
    if request.state == RequestState.OPEN:
        return [f"{head}; CAB re-approval request {request.pk} is pending"]
    if request.state == RequestState.REJECTED:
        return [f"{head}; CAB rejected re-approval request {request.pk}: {request.close_reason}"]
    return []  # approved again: the rollout runs on the new pack


@lru_cache(maxsize=2048)
def _verification_failure(sealed_json: str, sha256: str, pins: tuple[str, ...]) -> str:
    """A pack is immutable, so its verdict depends only on its content and the keys: cache it."""
    report = verifier.verify(sealed_json, list(pins))
    if report.ok and report.sha256 != sha256:
        return "content differs from the pack sealed here"
    failure = report.first_failure
    return f"{failure.name}: {failure.message}" if failure else ""


def rollback_evidence(intent: DeploymentIntent) -> str:
    """How rollback was validated before Canary: the sealed pack's rollback plan, validated in Lab."""
    pack = EvidencePack.objects.filter(intent=intent).order_by("-version").first()
    if pack is None:
        return ""
    body = json.loads(pack.sealed_json)["body"]
    for plan in body.get("sections", {}).get("rollback_plan", []):
        summary = plan.get("summary", {})
        if summary.get("validated"):
            return (
                f"sealed pack v{pack.version}: rollback plan to {summary.get('rollback_version', '?')} validated in Lab"
            )
    return ""


def window_state(intent: DeploymentIntent, at: datetime) -> calendar.Openness:
    rules = queries.calendar_rules(intent.target_boundary, intent.target_business_unit, intent.target_site_classes)
    return calendar.openness(rules, at, queries.freeze_reason())
