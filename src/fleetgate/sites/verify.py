"""Offline verification of a site bundle: no database, no network, no configuration. Imports only the
bundle container, the evidence pack verifier and the crypto and JSON helpers; each check is named, and a
failure names its check and says what to do next.

Trust: the manifest's signer must be one of the keys the verifier is told to trust (``--trust`` files, or
the importing installation's trusted installations); keys inside the bundle are never trusted for that.
The evidence keys inside the bundle are trusted because the signed manifest lists them and the ledger
slice records the packs they sealed.

Ledger slice: a contiguous run of the exporting installation's ledger, recomputed here exactly as
``audit.models.LedgerEvent.compute_hash`` does (SHA-256 of the RFC 8785 form of every member but
``hash``), each event linked to the one before it, ending at the head the signed manifest names.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fleetgate.evidence import crypto
from fleetgate.evidence import verify as packs
from fleetgate.evidence.safejson import UnsafeJson
from fleetgate.sites import bundlefile as bf
from fleetgate.sites.approvals_check import approval_problems, when

STALE_SUBJECT = "stale-vuln-snapshot:{site}"  # the scope exception that lets a stale snapshot through


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "message": self.message}


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    manifest_sha256: str = ""
    key_id: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[str]:
        return [c.name for c in self.checks if not c.ok]

    def add(self, name: str, ok: bool, message: str) -> bool:
        self.checks.append(Check(name, ok, message))
        return ok

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "kind": self.manifest.get("kind"),
            "bundle": self.manifest.get("bundle_id"),
            "manifest_sha256": self.manifest_sha256,
            "key_id": self.key_id,
            "failed_checks": self.failed,
            "checks": [c.as_dict() for c in self.checks],
        }


def key_id_of_pem(pem: str) -> str:
    key = crypto.load_public_pem(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise crypto.CheckFailed("key-algorithm", "bundle keys are Ed25519")
    return crypto.ed25519_key_id(key)


def verify(
    path: Path,
    trusted: list[str],
    *,
    now: datetime | None = None,
    kind: str = "intent",
    site: str | None = None,
    progress: bf.Progress | None = None,
) -> Report:
    """Every check of a bundle of `kind` ("intent" or "results") against the trusted PEM keys."""
    report = Report()
    now = now or datetime.now(UTC)
    try:
        with bf.open_bundle(path) as bundle:
            if _format(report, bundle, kind):
                _signature(report, bundle, trusted)
                _files(report, bundle, progress)
                if kind == "intent":
                    _intent_checks(report, bundle, now, site)
                else:
                    _results(report, bundle, site)
    except bf.BundleFormatError as exc:
        report.add("format", False, f"{exc}. Next: copy the bundle again from the exporting installation.")
    return report


def _format(report: Report, bundle: bf.Opened, kind: str) -> bool:
    try:
        manifest_bytes = bundle.read(bf.MANIFEST)
        manifest = bundle.json(bf.MANIFEST)
        bundle.json(bf.SIGNATURE)
    except (KeyError, UnsafeJson, bf.BundleFormatError) as exc:
        return report.add("format", False, f"Not a Fleetgate site bundle ({exc.__class__.__name__}: {exc}).")
    report.manifest, report.manifest_sha256 = manifest, bf.sha256_hex(manifest_bytes)
    if not isinstance(manifest, dict) or manifest.get("schema") != bf.SCHEMA:
        return report.add("format", False, f"Unknown bundle schema; this verifier reads {bf.SCHEMA}.")
    if manifest.get("kind") != kind:
        return report.add(
            "format", False, f"This is a {manifest.get('kind')} bundle, not a {kind} bundle; use the matching command."
        )
    if bf.canonical(manifest) != manifest_bytes:
        return report.add("format", False, "manifest.json is not in canonical (RFC 8785) form.")
    listed = {f.get("path") for f in manifest.get("files", []) if isinstance(f, dict)}
    extra = sorted(set(bundle.members) - listed - {bf.MANIFEST, bf.SIGNATURE})
    missing = sorted(str(p) for p in listed - set(bundle.members))
    if extra or missing:
        parts = ([f"not listed in the manifest: {', '.join(extra)}"] if extra else []) + (
            [f"listed but missing: {', '.join(missing)}"] if missing else []
        )
        return report.add("format", False, "Bundle members and manifest disagree: " + "; ".join(parts) + ".")
    return report.add("format", True, f"A {kind} bundle ({bf.SCHEMA}) of {len(listed)} files.")


def _signature(report: Report, bundle: bf.Opened, trusted: list[str]) -> None:
    signature = bundle.json(bf.SIGNATURE)
    report.key_id = str(signature.get("key_id", "")) if isinstance(signature, dict) else ""
    keys: dict[str, Ed25519PublicKey] = {}
    for pem in trusted:
        key = crypto.load_public_pem(pem)
        if isinstance(key, Ed25519PublicKey):
            keys[crypto.ed25519_key_id(key)] = key
    key = keys.get(report.key_id)
    if key is None:
        report.add(
            "manifest-signature",
            False,
            f"manifest signature: key {report.key_id or '?'} is not trusted "
            f"(trusted: {', '.join(sorted(keys)) or 'none'})."
            " Next: get the exporting installation's bundle key over a trusted channel and pass it with --trust "
            "(or register it with `fleetgate bundle trust add`); never trust a key found inside the bundle.",
        )
        return
    try:
        key.verify(
            base64.b64decode(str(signature["signature"]), validate=True), bf.signing_message(bundle.read(bf.MANIFEST))
        )
    except (InvalidSignature, binascii.Error, ValueError, KeyError):
        report.add(
            "manifest-signature",
            False,
            f"manifest signature does not verify with trusted key {report.key_id}: the manifest was changed after "
            "signing. Next: refuse this copy and export the bundle again.",
        )
        return
    report.add("manifest-signature", True, f"Ed25519 signature by trusted key {report.key_id}.")


def _files(report: Report, bundle: bf.Opened, progress: bf.Progress | None) -> None:
    bad: dict[str, list[str]] = {"artifact-digest": [], "file-digests": []}
    count = {"artifact-digest": 0, "file-digests": 0}
    for item in report.manifest.get("files", []):
        check = "artifact-digest" if item.get("role") == "artifact" else "file-digests"
        count[check] += 1
        digest, size = bundle.digest(str(item["path"]), progress)
        if digest != item.get("sha256") or size != item.get("size"):
            bad[check].append(
                f"{item['path']} hashes to {digest} ({size} bytes), the manifest says {item.get('sha256')}"
            )
    for artifact in report.manifest.get("artifacts", []):
        entry = next((f for f in report.manifest["files"] if f["path"] == artifact.get("path")), None)
        if entry is None or entry["sha256"] != artifact.get("sha256"):
            bad["artifact-digest"].append(f"{artifact.get('path')} is not the artifact {artifact.get('sha256')}")
    for check in ("artifact-digest", "file-digests"):
        problems = bad[check]
        report.add(
            check,
            not problems,
            f"{count[check]} file(s) match their SHA-256."
            if not problems
            else "; ".join(problems) + ". Next: the bundle was altered or damaged in transit; copy it again.",
        )


def _intent_checks(report: Report, bundle: bf.Opened, now: datetime, site: str | None) -> None:
    manifest = report.manifest
    events = _ledger(report, bundle)
    pack_bodies = _packs(report, bundle, events)
    _approvals(report, bundle, events, pack_bodies, now)
    _policies(report, bundle, pack_bodies)
    _snapshot(report, bundle, now)
    if site is not None:
        named = manifest.get("site", {}).get("name")
        report.add(
            "site",
            named == site,
            f"Bundle is for site {named}."
            if named == site
            else f"Bundle is for site {named}, not {site}: deliver it there.",
        )


def _ledger(report: Report, bundle: bf.Opened) -> list[dict[str, Any]]:
    head = report.manifest.get("ledger", {})
    try:
        lines = bundle.read(str(head["path"])).decode().splitlines()
        events = [bf.safejson.loads(line) for line in lines if line.strip()]
    except (KeyError, UnicodeDecodeError, UnsafeJson) as exc:
        report.add("ledger-slice", False, f"ledger slice unreadable ({exc}).")
        return []
    problem = ""
    previous: dict[str, Any] | None = None
    for event in events:
        content = {k: v for k, v in event.items() if k != "hash"}
        if bf.sha256_hex(bf.canonical(content)) != event.get("hash"):
            problem = f"event {event.get('sequence')} does not match its hash (altered)"
        elif previous is not None and event.get("sequence") != previous["sequence"] + 1:
            problem = f"sequence {previous['sequence'] + 1} is missing (next is {event.get('sequence')})"
        elif previous is not None and event.get("prev_hash") != previous["hash"]:
            problem = f"event {event.get('sequence')} does not link to the one before it"
        if problem:
            break
        previous = event
    if not problem and (
        previous is None
        or [previous["sequence"], previous["hash"]] != [head.get("last_sequence"), head.get("last_hash")]
    ):
        problem = "the slice does not end at the ledger head the manifest names"
    report.add(
        "ledger-slice",
        not problem,
        f"{len(events)} events {events[0]['sequence']}..{events[-1]['sequence']} recompute and chain to the "
        "signed head."
        if not problem
        else f"ledger slice: {problem}. Next: refuse the bundle; export it again and compare with "
        "`fleetgate audit verify` there.",
    )
    return events if not problem else []


def _packs(report: Report, bundle: bf.Opened, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pins = [bundle.read(str(p)).decode() for p in report.manifest.get("keys", {}).get("evidence", [])]
    sealed = {e["subject"]["id"]: e["after"] for e in events if e.get("action") == "evidence_pack.sealed"}
    problems, bodies = [], []
    for pack in report.manifest.get("packs", []):
        text = bundle.read(str(pack["path"]))
        result = packs.verify(text, pins, artifact_sha256=pack.get("artifact_sha256"))
        recorded = sealed.get(pack.get("id"), {})
        if not result.ok:
            failure = next(c for c in result.checks if not c.ok)
            problems.append(f"pack {pack['path']}: {failure.name}: {failure.message}")
        elif result.sha256 != pack.get("sha256") or recorded.get("sha256") != result.sha256:
            problems.append(f"pack {pack['path']} ({result.sha256}) is not the one the ledger slice records as sealed")
        else:
            bodies.append(bf.safejson.loads(text, max_depth=80)["body"])
    ok = not problems and bool(bodies)
    report.add(
        "evidence-pack",
        ok,
        f"{len(bodies)} sealed pack(s) verify with the listed evidence keys and match the ledger."
        if ok
        else ("; ".join(problems) or "no evidence pack in the bundle") + ". Next: re-seal and export again.",
    )
    return bodies


def _approvals(
    report: Report, bundle: bf.Opened, events: list[dict[str, Any]], bodies: list[dict[str, Any]], now: datetime
) -> None:
    try:
        record = bundle.json("approvals.json")
    except KeyError:
        report.add("approvals", False, "approvals: the approval record (approvals.json) is missing.")
        return
    problems = approval_problems(record, events, bodies, now, report.manifest)
    report.add(
        "approvals",
        not problems,
        "The intent's approval (CAB decisions and exceptions) is present, in force and matches the ledger slice."
        if not problems
        else "approvals: " + "; ".join(problems) + ". Next: the approval record does not prove the change; refuse it.",
    )


def _policies(report: Report, bundle: bf.Opened, bodies: list[dict[str, Any]]) -> None:
    versions = report.manifest.get("versions", {})
    problems = []
    for name in ("ring_policy", "risk_rubric", "distribution_policy"):
        entry = versions.get(name) or {}
        try:
            document = bundle.json(str(entry["path"]))
        except KeyError:
            problems.append(f"{name} document missing")
            continue
        if bf.sha256_hex(bf.canonical(document)) != entry.get("sha256") or str(document.get("version")) != entry.get(
            "version"
        ):
            problems.append(f"{name} is not version {entry.get('version')} with SHA-256 {entry.get('sha256')}")
    if versions.get("ring_policy", {}).get("version") != report.manifest.get("intent", {}).get("ring_policy"):
        problems.append("the ring policy is not the version the intent was planned against")
    rubric = versions.get("risk_rubric", {}).get("version")
    if any((b.get("risk") or {}).get("rubric_version") != rubric for b in bodies):
        problems.append(f"the packs were scored with another rubric than {rubric}")
    report.add(
        "policy-versions",
        not problems,
        f"Ring policy {versions.get('ring_policy', {}).get('version')}, risk rubric {rubric} and distribution policy "
        f"{versions.get('distribution_policy', {}).get('version')} are the versions the change was decided on."
        if not problems
        else "policy versions: " + "; ".join(problems) + ".",
    )


def _snapshot(report: Report, bundle: bf.Opened, now: datetime) -> None:
    snap = report.manifest.get("vulnerability_snapshot") or {}
    site = report.manifest.get("site", {}).get("name", "?")
    try:
        date, limit = when(snap["date"]), int(snap["max_age_days"])
    except (KeyError, ValueError, TypeError):
        report.add("vulnerability-snapshot", False, "vulnerability snapshot: no dated snapshot in the bundle.")
        return
    age = (now - date).total_seconds() / 86400
    if age <= limit:
        report.add(
            "vulnerability-snapshot",
            True,
            f"Vulnerability snapshot of {date:%Y-%m-%d} is {age:.1f} days old (policy allows {limit}).",
        )
        return
    record = bundle.json("approvals.json") if "approvals.json" in bundle.members else {}
    subject = STALE_SUBJECT.format(site=site)
    covering = [
        x
        for x in record.get("exceptions", [])
        if x.get("subject") == subject and x.get("state") == "approved" and when(x["expires_at"]) > now
    ]
    report.add(
        "vulnerability-snapshot",
        bool(covering),
        f"Vulnerability snapshot of {date:%Y-%m-%d} is {age:.1f} days old (policy allows {limit}); "
        f"exception {covering[0]['id']} covers it until {covering[0]['expires_at']}."
        if covering
        else f"vulnerability snapshot of {date:%Y-%m-%d} is {age:.1f} days old; the policy for "
        f"{report.manifest.get('site', {}).get('site_class')} sites allows {limit}. Next: export a bundle with a "
        f"fresh snapshot, or ask a Security Reviewer to approve a scope exception '{subject}'.",
    )


def _results(report: Report, bundle: bf.Opened, site: str | None) -> None:
    manifest = report.manifest
    try:
        rings = bundle.json("results.json")["rings"]
        ok = isinstance(rings, dict) and all(
            isinstance(v, dict)
            and all(isinstance(v.get(k), int) and v[k] >= 0 for k in ("installed", "failed", "pending"))
            for v in rings.values()
        )
    except (KeyError, TypeError, UnsafeJson):
        ok = False
    named = manifest.get("site", {}).get("name")
    if site is not None and named != site:
        report.add("results", False, f"Results are from site {named}, not {site}.")
        return
    report.add(
        "results",
        ok,
        f"Per-ring counts from site {named} for intent {manifest.get('intent', {}).get('name')}."
        if ok
        else "results: results.json does not hold per-ring installed / failed / pending counts.",
    )
