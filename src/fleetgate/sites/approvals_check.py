"""The `approvals` check of a site bundle, pure: the approval record held against the ledger slice and the
sealed packs (see ``verify``). Every decision the record lists must be in the slice as recorded, and every
decision the slice has on those requests must be in the record; a change that needs CAB needs an approved
request on the shipped pack with its quorum in force; each exception the packs rely on must be approved in
both and unexpired."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

APPROVED_STATES = ("approved", "in_progress", "paused")


def when(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def approval_problems(
    record: dict[str, Any], events: list[dict[str, Any]], bodies: list[dict[str, Any]], now: datetime, manifest: dict
) -> list[str]:
    problems: list[str] = []
    intent_id = str(manifest.get("intent", {}).get("id"))
    if record.get("intent", {}).get("id") != intent_id or record.get("intent", {}).get("state") not in APPROVED_STATES:
        problems.append("the record is not of this intent in an approved state")
    if not any(
        e["action"] in ("intent.approved", "intent.cab_not_required") and e["subject"]["id"] == intent_id
        for e in events
    ):
        problems.append("the ledger slice has no approval of the intent")
    decided = {e["after"].get("decision"): e for e in events if e["action"] == "cab.decision_recorded"}
    revoked = {e["after"].get("decision") for e in events if e["action"] == "cab.approval_revoked"}
    pack_ids = {str(p.get("id")) for p in manifest.get("packs", [])}
    requests = [r for r in record.get("cab_requests", []) if str(r.get("evidence_pack")) in pack_ids]
    listed = {d["id"] for r in requests for d in r.get("decisions", [])}
    for request in requests:
        for decision in request.get("decisions", []):
            event = decided.get(decision["id"])
            if (
                event is None
                or event["subject"]["id"] != request["id"]
                or event["after"].get("kind") != decision["kind"]
            ):
                problems.append(f"decision {decision['id']} is not in the ledger slice as recorded")
    for decision_id, event in decided.items():
        if event["subject"]["id"] in {r["id"] for r in requests} and decision_id not in listed:
            problems.append(f"the ledger records decision {decision_id} that the record lacks (removed)")
    if any((b.get("risk") or {}).get("cab_required") for b in bodies):
        in_force = [
            r
            for r in requests
            if r.get("state") == "approved"
            and sum(
                1
                for d in r.get("decisions", [])
                if d["kind"] in ("approve", "conditional")
                and d["id"] not in revoked
                and d.get("expires_at")
                and when(d["expires_at"]) > now
            )
            >= int(r.get("quorum", 1))
        ]
        if not in_force:
            problems.append(
                "the change needs CAB approval and no approved request on this pack has its quorum in force"
            )
    exceptions = {str(x.get("id")): x for x in record.get("exceptions", [])}
    approved = {e["subject"]["id"] for e in events if e["action"] == "exception.approved"}
    needed = {str(x["id"]) for b in bodies for x in b.get("exceptions", [])}
    for exc_id in sorted(needed):
        row = exceptions.get(exc_id)
        if row is None or row.get("state") != "approved" or exc_id not in approved:
            problems.append(f"exception {exc_id} the pack relies on is not approved in the record and ledger")
        elif when(row["expires_at"]) <= now:
            problems.append(f"exception {exc_id} expired {row['expires_at']}")
    return problems
