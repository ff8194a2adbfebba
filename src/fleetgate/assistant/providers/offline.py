"""The built-in deterministic provider: explanations, summaries and drafts rendered from templates over
the retrieved records. No network, no model; the same records always give the same words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleetgate.assistant.providers.base import Completion, CompletionRequest, OnDelta

CAB_FIELDS = ("summary", "justification", "impact", "test_summary", "backout_plan")


def _words(text: str) -> int:
    return len(text.split())


class OfflineProvider:
    name = "offline"
    kind = "offline"
    remote = False
    model = "templates-v1"

    def complete(self, request: CompletionRequest, on_delta: OnDelta | None = None) -> Completion:
        text = render(request.feature, request.facts)
        if on_delta is not None:
            for line in text.splitlines(keepends=True):
                on_delta(line)
        prompt_words = sum(_words(m.content) for m in request.messages)
        return Completion(text=text, model=self.model, tokens_in=prompt_words, tokens_out=_words(text))


def render(feature: str, facts: dict[str, Any]) -> str:
    return RENDERERS[feature](facts).strip() + "\n"


def _pct(value: str) -> str:
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def explain_risk(f: dict[str, Any]) -> str:
    lines = [
        f"{f['application']} ({f['intent']}) scores {f['score']}/100 under risk rubric {f['rubric']} "
        f"(raw {f['raw']}: the sum of weight x factor value, rounded half up).",
        "CAB review is required." if f["cab_required"] else "CAB review is not required by the score.",
    ]
    lines += [f"- Why: {r}" for r in f["reasons"]]
    lines.append("Factors, largest contribution first:")
    for factor in f["factors"]:
        source = "derived from evidence" if factor.get("source") == "derived" else f"{factor.get('source', 'declared')}"
        lines.append(
            f"- {factor['name']}: {_pct(factor['contribution'])} points (weight {factor['weight']} x value "
            f"{factor['value']}, option '{factor['option']}', {source}). {factor.get('rationale', '')}".rstrip()
        )
    zero = [x["name"] for x in f["factors"] if float(x["contribution"]) == 0]
    if zero:
        lines.append(f"Contributing nothing: {', '.join(zero)}.")
    return "\n".join(lines)


def summarise_evidence(f: dict[str, Any]) -> str:
    def listing(items: list[str]) -> str:
        return ", ".join(items) if items else "none"

    lines = [
        f"Evidence pack v{f['pack_version']} for {f['artifact']} ({f['application']}), "
        f"sealed as sha256 {f['sha256'][:16]}...",
        f"Verified by Fleetgate: {listing(f['verified'])}.",
        f"Declared (not checkable by Fleetgate): {listing(f['declared'])}.",
        f"Recorded as supplied (truth rests on the author): {listing(f['recorded'])}.",
        f"Missing: {listing(f['missing'])}.",
        f"SBOM: {f['component_count']} components; vulnerability findings: {f['finding_count']}.",
    ]
    if f["findings"]:
        lines.append("Notable findings (most severe first):")
        for x in f["findings"]:
            fixed = f", fixed in {x['fixed_version']}" if x.get("fixed_version") else ", no fix listed"
            lines.append(
                f"- {x.get('id')} {x.get('severity')} in {x.get('component')} {x.get('installed_version', '')}{fixed}"
            )
    if f["notable_components"]:
        names = ", ".join(f"{c['name']} {c['version']}".strip() for c in f["notable_components"])
        lines.append(f"Components with findings: {names}.")
    if f["exceptions"]:
        lines.append(f"Exceptions in force: {', '.join(str(e.get('subject')) for e in f['exceptions'])}.")
    if f.get("risk_score") is not None:
        lines.append(f"Risk score sealed with the pack: {f['risk_score']}/100.")
    return "\n".join(lines)


def cab_fields(f: dict[str, Any]) -> dict[str, str]:
    risk, ev = f.get("risk"), f.get("evidence")
    rings = " -> ".join(str(r) for r in f["rings"]) or "no rings"
    summary = (
        f"Deploy {f['application']} {f['version']} to {f['target']} through {rings} ({f['devices']} devices planned)."
    )
    why = [f["change_reason"] or f["title"]]
    if f.get("release_notes"):
        why.append(f"Release notes: {f['release_notes'].strip()[:400]}")
    if f.get("previous"):
        changed = ", ".join(f["changes"]) or "nothing but the version"
        why.append(f"Previous change: {f['previous']['name']} ({f['previous']['version']}); changed: {changed}.")
    impact = []
    if risk:
        top = [x["name"] for x in risk["factors"] if float(x["contribution"]) > 0][:3]
        impact.append(f"Risk {risk['score']}/100; largest factors: {', '.join(top) or 'none'}.")
        impact += list(risk["reasons"])
    else:
        impact.append("No risk assessment yet.")
    if ev:
        impact.append(
            f"Evidence pack v{ev['pack_version']}: {ev['finding_count']} vulnerability findings; "
            f"missing: {', '.join(ev['missing']) or 'none'}."
        )
    tests = "; ".join(f"{t['filename']}: {t['summary']}" for t in f.get("tests", []) if t["kind"] == "test_evidence")
    backout = f.get("rollback_plan") or {}
    backout_text = (
        ", ".join(f"{k}: {v}" for k, v in sorted(backout.items())) if isinstance(backout, dict) else str(backout)
    )
    return {
        "summary": summary,
        "justification": " ".join(why),
        "impact": " ".join(impact),
        "test_summary": tests or "No lab test evidence in the sealed pack.",
        "backout_plan": backout_text or "No rollback plan recorded on the intent.",
    }


def draft_cab_note(f: dict[str, Any]) -> str:
    fields = cab_fields(f)
    return "\n".join(f"{k.replace('_', ' ').capitalize()}: {v}" for k, v in fields.items())


def explain_ring(f: dict[str, Any]) -> str:
    lines = [
        f"Ring {f['ring']} of {f['intent']} ({f['application']} {f['version']}) is {f['ring_state']}; "
        f"the rollout is {f['rollout_status']}."
    ]
    if f["status_detail"]:
        lines.append(f"Engine: {f['status_detail']}")
    for gate in f["failing_gates"] or f["gates"]:
        lines.append(f"- Gate {gate['gate']}: {gate['outcome']}. {gate['summary']}".rstrip())
    if f["clusters"]:
        lines.append("Failing devices by plane and error code:")
        for c in f["clusters"]:
            sample = f" (e.g. {', '.join(c['devices'])})" if c["devices"] else ""
            lines.append(f"- {c['plane']}: {c['count']} x {c['meaning']} [{c['category']}]{sample}")
        kinds = sorted({c["category"] for c in f["clusters"]})
        if "detection" in kinds and "install" not in kinds:
            lines.append(
                "The installs ran; the detection rule is what fails. Check the detection rule before the package."
            )
        elif "install" in kinds and "detection" not in kinds:
            lines.append("The installer itself fails; the detection rule is not the problem.")
    else:
        lines.append("No device errors were reported by the planes.")
    for t in f["targets"]:
        lines.append(
            f"- {t['plane']} {t['group']}: planned {t['planned']}, observed {t['observed']}, counts {t['counts']}"
        )
    if f["previous"]:
        changed = ", ".join(sorted(f["changes"])) or "nothing but the version"
        lines.append(
            f"Since the last good change ({f['previous']['name']}, version {f['previous']['version']}) "
            f"changed: {changed}."
        )
    if f["judgment"]:
        lines.append(f"Recorded judgment: {f['judgment']}")
    return "\n".join(lines)


def ask(f: dict[str, Any]) -> str:
    shape = f.get("shape")
    if shape == "who_approved":
        if not f["found"]:
            return f"No version {f['version']} of {f['application']} that you can see is in the catalog."
        if not f["decisions"]:
            return f"Nobody has decided on {f['application']} {f['version']} yet."
        lines = [f"Decisions on {f['application']} {f['version']}:"]
        for d in f["decisions"]:
            revoked = " (since revoked)" if d["revoked"] else ""
            reason = f": {d['reason']}" if d["reason"] else ""
            lines.append(f"- {d['approver']} {d['kind']} at {d['at']} on CAB request {d['request']}{revoked}{reason}")
        return "\n".join(lines)
    if shape == "contains":
        what = f"{f['component']} {f['component_version']}".strip()
        if not f["artifacts"]:
            return f"No artifact you can see lists {what} in its SBOM."
        lines = [f"{len(f['artifacts'])} artifact(s) list {what} in their SBOM:"]
        lines += [
            f"- {a['artifact']} ({a['application']} {a['version']}, sha256 {a['sha256'][:12]}...): {a['component']}"
            for a in f["artifacts"]
        ]
        return "\n".join(lines)
    if shape == "about":
        lines = []
        for app in f["applications"]:
            lines.append(f"{app['application']} ({app['vendor']}):")
            for c in app["changes"] or []:
                lines.append(
                    f"- {c['intent']} {c['version']}: {c['state']}, last event {c['last_event']} at {c['last_at']}"
                )
            if not app["changes"]:
                lines.append("- no deployment intents yet")
        return "\n".join(lines)
    return (
        "I found no records for that question. I can answer questions such as: "
        + "; ".join(f'"{s}"' for s in f["shapes"])
        + "."
    )


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "explain_risk": explain_risk,
    "summarise_evidence": summarise_evidence,
    "draft_cab_note": draft_cab_note,
    "explain_ring": explain_ring,
    "ask": ask,
}
