"""Why did this ring stop? Gate inputs, failing devices clustered by error code and plane, and what
changed since the last good version: read from the rollout engine's records through rollouts.queries."""

from __future__ import annotations

from typing import Any

from fleetgate.assistant.tools import Record, Retrieval, get_intent, intent_record, link, previous_change
from fleetgate.core.actors import Actor
from fleetgate.core.errors import NotFound
from fleetgate.rollouts import queries as rollouts

# What common plane error codes mean, and which kind of failure each is (install vs detection ...).
ERROR_CODES: dict[str, tuple[str, str]] = {
    "1603": ("install", "MSI 1603: fatal error during installation (the installer itself failed)"),
    "1618": ("conflict", "MSI 1618: another installation was already in progress"),
    "1619": ("install", "MSI 1619: the installation package could not be opened"),
    "1633": ("install", "MSI 1633: this platform is not supported by the package"),
    "3010": ("reboot", "3010: installed, a restart is required to finish"),
    "1641": ("reboot", "1641: installed, the installer started a restart"),
    "0x87d1041c": ("detection", "0x87D1041C: installed, but the detection rule did not find the application"),
    "0x87d00324": ("detection", "0x87D00324: the application was not detected after installation"),
    "0x87d00607": ("download", "0x87D00607: content not found (distribution point or CDN)"),
    "0x80070005": ("install", "0x80070005: access denied during installation"),
}
HOLDING_STATES = ("failed", "awaiting_judgment", "rolling_back", "rolled_back", "rollback_failed")
MAX_DEVICES = 5


def describe_code(code: str) -> tuple[str, str]:
    key = code.strip().lower()
    if key.startswith("-") and key[1:].isdigit():  # signed decimal form of an HRESULT
        key = hex(int(key) & 0xFFFFFFFF)
    return ERROR_CODES.get(key, ("other", f"{code}: not a code Fleetgate knows; see the plane's documentation"))


def explain_ring(actor: Actor, *, intent_id: Any, ring: str | None = None) -> Retrieval:
    intent = get_intent(actor, intent_id)
    rollout = rollouts.rollouts(actor).filter(intent_id=intent.pk).first()
    if rollout is None:
        raise NotFound("This intent has no rollout yet; nothing to explain.")
    runs = list(rollouts.ring_runs(rollout))
    if ring:
        run = next((r for r in runs if r.ring == ring), None)
    else:
        stopped = [r for r in runs if r.state in HOLDING_STATES]
        run = stopped[-1] if stopped else next((r for r in reversed(runs) if r.state != "pending"), None)
    if run is None:
        raise NotFound(f"No ring {ring or 'that has started'} in this rollout.")
    gates = [
        {"gate": g.gate, "outcome": g.outcome, "summary": g.summary, "inputs": g.inputs}
        for g in run.gates.order_by("gate")
    ]
    clusters: dict[tuple[str, str], dict[str, Any]] = {}
    devices: set[str] = set()
    targets = []
    for target in rollouts.targets(run).select_related("connector", "artifact"):
        plane = target.connector.kind
        targets.append(
            {
                "plane": plane,
                "connector": target.connector.name,
                "group": target.group,
                "planned": target.planned_devices,
                "observed": target.observed_devices,
                "counts": target.counts,
            }
        )
        for code, info in sorted((target.error_codes or {}).items()):
            category, meaning = describe_code(code)
            cluster = clusters.setdefault(
                (plane, code),
                {"plane": plane, "code": code, "category": category, "meaning": meaning, "count": 0, "devices": []},
            )
            cluster["count"] += int(info.get("count", 0))
            names = [str(d) for d in info.get("devices", [])]
            devices.update(names)
            cluster["devices"] = sorted({*cluster["devices"], *names})[:MAX_DEVICES]
    diff = previous_change(actor, intent)  # a previous change outside the asker's scope is not named
    facts = {
        "intent": intent.name,
        "application": intent.application.name,
        "version": intent.version.version,
        "rollout_status": rollout.status,
        "status_detail": rollout.status_detail,
        "ring": run.ring,
        "ring_state": run.state,
        "judgment": run.judgment,
        "gates": gates,
        "failing_gates": [g for g in gates if g["outcome"] in ("fail", "inconclusive", "blocked")],
        "targets": targets,
        "clusters": sorted(clusters.values(), key=lambda c: (-c["count"], c["plane"], c["code"])),
        "previous": diff["previous"],
        "changes": diff["changes"],
    }
    records = [
        Record(
            "ring_run",
            f"{rollout.pk}:{run.ring}",
            f"Ring {run.ring} of rollout {intent.name} ({run.state})",
            link("ring_run", run.pk, intent.pk),
            {"state": run.state, "gates": [f"{g['gate']}={g['outcome']}" for g in gates]},
        ),
        intent_record(intent),
    ]
    if diff["previous"]:
        records.append(
            Record(
                "intent",
                diff["previous"]["id"],
                f"Previous change {diff['previous']['name']}",
                link("intent", diff["previous"]["id"]),
            )
        )
    return Retrieval("explain_ring", "ring_run", f"{rollout.pk}:{run.ring}", records, facts, devices=devices)
