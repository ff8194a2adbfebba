"""The messages a remote model gets: instructions, the retrieved records (with their ids) and the
facts drawn from them. The offline provider renders the same facts with templates."""

from __future__ import annotations

import json
from typing import Any

from fleetgate.assistant.providers.base import Message
from fleetgate.assistant.tools import Retrieval

SYSTEM = (
    "You are Fleetgate's assistant. You explain, summarise and draft; you never approve, deploy or change "
    "anything, and you cannot. Answer only from the records and facts given. Cite the records you rely on as "
    "[type:id]. If the records do not answer the question, say so. Placeholders such as [EMAIL-1] or [HOST-2] "
    "stand for redacted values: keep them as they are."
)
TASKS = {
    "explain_risk": "Explain this risk assessment in plain language for a CAB member: the score, what drives it "
    "(factor contributions, largest first), which factors were derived from evidence and which declared, and why "
    "CAB review is or is not required.",
    "summarise_evidence": "Summarise this sealed evidence pack: what Fleetgate verified, what is only declared or "
    "recorded, what is missing, and the notable findings and components.",
    "draft_cab_note": "Draft a CAB change note with exactly these headed sections: Summary:, Justification:, "
    "Impact:, Test summary:, Backout plan:. The submitter will edit it and submit it as their own words.",
    "explain_ring": "Explain why this ring halted or is inconclusive: the gate inputs, failing devices clustered by "
    "error code and plane (say whether installs or detection fail), and what changed since the last good version.",
    "ask": "Answer the question from the records.",
}
SECTIONS = ("summary", "justification", "impact", "test_summary", "backout_plan")


def build(retrieval: Retrieval) -> list[Message]:
    records = [
        {"type": r.type, "id": r.id, "title": r.title, **({"data": r.data} if r.data else {})}
        for r in retrieval.records
    ]
    payload: dict[str, Any] = {"records": records, "facts": retrieval.facts}
    user = f"{TASKS[retrieval.feature]}\n\n"
    if retrieval.question:
        user += f"Question: {retrieval.question}\n\n"
    user += json.dumps(payload, sort_keys=True, default=str, indent=1)
    return [Message("system", SYSTEM), Message("user", user)]


def parse_sections(text: str) -> dict[str, str]:
    """A remote model's CAB note split into the submission's fields (everything in summary if unheaded)."""
    out: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        head, sep, rest = line.partition(":")
        key = head.strip().strip("#* ").lower().replace(" ", "_")
        if sep and key in SECTIONS:
            current = key
            out.setdefault(current, [])
            if rest.strip():
                out[current].append(rest.strip())
        elif current:
            out[current].append(line)
    if not out:
        return {"summary": text.strip(), **{k: "" for k in SECTIONS[1:]}}
    return {k: "\n".join(out.get(k, [])).strip() for k in SECTIONS}
