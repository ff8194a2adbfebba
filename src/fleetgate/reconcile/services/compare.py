"""Compare desired with observed state, per plane and group (assignments, `inventory()`) and per
plane target (devices, `observe()`), and find stuck rollouts. Read-only: it writes nothing and acts
on no plane, so a dry run is this module alone.

Plane reads go through `connectors.services` as the reconciler's service identity; a plane that
cannot be read is reported and its scope is left unjudged (its drift is neither found nor healed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fleetgate.connectors import services as connectors
from fleetgate.connectors.base import InventoryItem, RingGroup
from fleetgate.core.actors import Actor
from fleetgate.core.errors import DomainError
from fleetgate.reconcile import policy
from fleetgate.reconcile.services.desired import Desired
from fleetgate.reconcile.states import Kind
from fleetgate.rollouts.models import PlaneTarget
from fleetgate.rollouts.services.common import app_ref
from fleetgate.rollouts.states import RingState

SITE_ORDER = ("online", "intermittent", "air_gapped")
# Fleetgate's standard ring groups: read on every plane so an assignment to a group no intent
# targets is seen (a connector adds its own with settings["watched_groups"]).
WATCHED_GROUPS = ("FG-LAB", "FG-CANARY", "FG-PILOT", "FG-DEPARTMENT", "FG-GLOBAL", "FG-AIRGAP")


@dataclass(eq=False)
class Finding:
    kind: Kind
    desired: Desired  # the intent the drift belongs to
    group: str
    expected: dict[str, Any]
    observed: dict[str, Any]
    summary: str
    scope_key: str
    device: str = ""
    device_name: str = ""
    target_id: int | None = None

    @property
    def fingerprint(self) -> str:
        return _fingerprint(self.desired, self.kind, self.device, self.group)

    @property
    def route(self) -> str:
        return policy.route(self.kind, self.desired.ring, self.desired.privileged, self.desired.document)

    @property
    def severity(self) -> str:
        return policy.severity(self.kind, self.desired.ring, self.desired.privileged)


def _fingerprint(d: Desired, kind: Kind, device: str, group: str | None = None) -> str:
    return f"{d.intent_id}:{d.connector_id}:{group or d.group}:{kind.value}:{device}"[:400]


@dataclass
class Comparison:
    findings: list[Finding] = field(default_factory=list)
    scopes: set[str] = field(default_factory=set)  # what was read completely this pass
    unsettled: set[str] = field(default_factory=set)  # fingerprints neither drifting nor healed (pending)
    problems: list[str] = field(default_factory=list)
    plane_reads: int = 0
    desired: list[Desired] = field(default_factory=list)


def group_scope(connector_id: Any, group: str) -> str:
    return f"group:{connector_id}:{group}"


def target_scope(target_id: int) -> str:
    return f"target:{target_id}"


def rollout_scope(rollout_id: Any) -> str:
    return f"rollout:{rollout_id}"


def compare(*, actor: Actor, desired: Iterable[Desired], now: datetime) -> Comparison:
    out = Comparison()
    by_plane: dict[Any, list[Desired]] = defaultdict(list)
    for d in desired:
        by_plane[d.connector_id].append(d)
        out.desired.append(d)
    for connector_id, rows in by_plane.items():
        _assignments(actor, connector_id, rows, out)
        for d in rows:
            if d.settled:
                _devices(actor, d, now, out)
    _stuck(out.desired, now, out)
    return out


def _newest(rows: list[Desired]) -> dict[tuple[str, str], Desired]:
    """The desired app per (group, app name): the newest rollout wins (an upgrade supersedes)."""
    newest: dict[tuple[str, str], Desired] = {}
    for d in sorted(rows, key=lambda r: (r.started_at.timestamp() if r.started_at else 0.0, r.target_id)):
        newest[(d.group, d.name)] = d
    return newest


def _assignments(actor: Actor, connector_id: Any, rows: list[Desired], out: Comparison) -> None:
    wanted = _newest(rows)
    owners = {d.name: d for d in sorted(rows, key=lambda r: r.target_id)}  # managed app name -> an intent
    aliases = _aliases(rows)
    watched = set(WATCHED_GROUPS) | set(rows[0].watched_groups)
    targeted = {d.group for d in rows} | {g for d in rows for g in d.plan_groups}
    groups = sorted(targeted | watched)
    for group in groups:
        try:
            items = connectors.inventory(actor=actor, connector_id=connector_id, group=RingGroup(name=group))
        except DomainError as exc:
            if group in targeted:  # a watched group the plane does not have holds nothing
                out.problems.append(f"{rows[0].connector_name}/{group}: {exc}")
            continue
        out.plane_reads += 1
        scope = group_scope(connector_id, group)
        out.scopes.add(scope)
        seen: dict[str, list[InventoryItem]] = defaultdict(list)
        for item in items:
            seen[aliases.get(_app_name(item), _app_name(item))].append(item)
        for (g, name), d in wanted.items():
            if g == group:
                _one_assignment(d, seen.get(name, []), scope, out)
        for name, found in seen.items():
            owner = owners.get(name)
            if owner is not None and (group, name) not in wanted:
                out.findings.append(
                    Finding(
                        Kind.EXTRA,
                        owner,
                        group,
                        expected={"assigned": False, "reason": "no intent targets this group"},
                        observed={"assignments": [_item(i) for i in found]},
                        summary=f"{name} is assigned to {group} on {owner.connector_name}, which no intent targets",
                        scope_key=scope,
                    )
                )


def _aliases(rows: list[Desired]) -> dict[str, str]:
    """Planes that list the plane object's own name (a Linux package) instead of the app's: that
    name -> the app's, so an assignment is matched (and an extra one recognised) under either."""
    aliases: dict[str, str] = {}
    for d in rows:
        for own in (str(d.app.get("name") or ""), str((d.app.get("attributes") or {}).get("package") or "")):
            if own and own != d.name:
                aliases.setdefault(own, d.name)
    return aliases


def _app_name(i: InventoryItem) -> str:
    """Planes that name the app object "<name> <version>" (Intune) report the bare name here."""
    return i.name.removesuffix(f" {i.version}") if i.version else i.name


def _item(i: InventoryItem) -> dict[str, str]:
    return {
        "external_id": i.external_id,
        "version": i.version,
        "intent": i.intent,
        "group": i.group,
        **({"deadline": i.deadline} if i.deadline else {}),
    }


def _one_assignment(d: Desired, found: list[InventoryItem], scope: str, out: Comparison) -> None:
    expected = {"version": d.version, "intent": "install", "group": d.group}
    # a plane that reports no version (Landscape's package list) matches on name and intent; Fleetgate
    # assigns with no install deadline, so a deadline set in the console is a change too
    if any(i.version in (d.version, "") and i.intent == "install" and not i.deadline for i in found):
        return
    if found:
        kind, summary = (
            Kind.MODIFIED,
            (
                f"{d.name} on {d.group} ({d.connector_name}) was changed out of band: "
                + ", ".join(f"{i.version} {i.intent}" + (f" by {i.deadline}" if i.deadline else "") for i in found)
                + f" instead of {d.version} install"
            ),
        )
    else:
        kind, summary = Kind.MISSING, f"{d.name} {d.version} is no longer assigned to {d.group} on {d.connector_name}"
    observed = {"assignments": [_item(i) for i in found]}
    out.findings.append(Finding(kind, d, d.group, expected, observed, summary, scope_key=scope, target_id=d.target_id))


def _ttc(d: Desired, site_class: str) -> float:
    ttc = {k: float(v) for k, v in d.ring_policy.get("ttc_hours", {}).items()} or {"online": 24.0}
    if site_class in ttc:
        return ttc[site_class]
    slowest = max(d.site_classes, key=lambda s: SITE_ORDER.index(s) if s in SITE_ORDER else 0)
    return ttc.get(slowest, max(ttc.values()))


def _devices(actor: Actor, d: Desired, now: datetime, out: Comparison) -> None:
    group = RingGroup(name=d.group, ring=d.ring)
    try:
        result = connectors.observe(actor=actor, connector_id=d.connector_id, app=app_ref(d.app), group=group)
    except DomainError as exc:
        out.problems.append(f"{d.connector_name}/{d.group} ({d.intent_name}): {exc}")
        return
    out.plane_reads += result.pages_read or 1
    scope = target_scope(d.target_id)
    out.scopes.add(scope)
    elapsed = (now - d.assigned_at).total_seconds() / 3600 if d.assigned_at else 0.0
    expected = {"version": d.version, "state": "installed"}
    for page in result.detail_pages:
        for device in page.devices:
            if device.state == "failed":
                kind, summary = Kind.MISSING, f"{device.device_name} lacks {d.name} {d.version} ({device.detail})"
            elif device.state == "pending" and elapsed > _ttc(d, device.site_class):
                kind = Kind.STALE
                summary = f"{device.device_name} has not reported {d.name} for {elapsed:.0f} h"
            else:
                if device.state == "pending":  # e.g. reinstalling after a remediation: not healed yet
                    out.unsettled.add(_fingerprint(d, Kind.MISSING, device.device_id))
                continue
            observed = {"state": device.state, "detail": device.detail, "site_class": device.site_class}
            out.findings.append(
                Finding(
                    kind,
                    d,
                    d.group,
                    expected,
                    observed,
                    summary,
                    scope_key=scope,
                    device=device.device_id,
                    device_name=device.device_name,
                    target_id=d.target_id,
                )
            )


def _stuck(rows: list[Desired], now: datetime, out: Comparison) -> None:
    """A ring with pending devices past its time-to-compliance, or a rollout with no observation
    stored for `stuck_after_hours_without_progress` (24 h)."""
    current = [d for d in rows if d.ring_state == RingState.ASSIGNED]
    observed_at = dict(
        PlaneTarget.objects.filter(pk__in=[d.target_id for d in current]).values_list("pk", "observed_at")
    )
    counts = dict(PlaneTarget.objects.filter(pk__in=[d.target_id for d in current]).values_list("pk", "counts"))
    for d in current:
        out.scopes.add(rollout_scope(d.rollout_id))
        silent_hours = float(policy.setting(d.document, "stuck_after_hours_without_progress"))
        last = observed_at.get(d.target_id) or d.assigned_at
        elapsed = (now - d.assigned_at).total_seconds() / 3600 if d.assigned_at else 0.0
        pending = int((counts.get(d.target_id) or {}).get("pending", 0))
        ttc = max(_ttc(d, s) for s in d.site_classes)
        if last is not None and now - last > timedelta(hours=silent_hours):
            reason = f"no observation for {(now - last).total_seconds() / 3600:.0f} h"
        elif pending and elapsed > ttc:
            reason = (
                f"{pending} devices still pending {elapsed:.0f} h after assignment (time to compliance {ttc:.0f} h)"
            )
        else:
            continue
        out.findings.append(
            Finding(
                Kind.STUCK,
                d,
                d.group,
                expected={"progress_within_hours": ttc, "observation_within_hours": silent_hours},
                observed={"reason": reason, "pending": pending, "last_observed_at": last.isoformat() if last else None},
                summary=f"{d.intent_name} is stuck in {d.ring} on {d.connector_name}: {reason}",
                scope_key=rollout_scope(d.rollout_id),
                target_id=d.target_id,
            )
        )
