"""SBOM ingestion: CycloneDX JSON 1.4 / 1.5 / 1.6 (cyclonedx-python-lib) and SPDX 2.3 JSON (spdx-tools).

Both are validated against their specification by the official library, then reduced to the
components (name, version, purl, licences, hashes) Fleetgate can query and seal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

from fleetgate.evidence import scans, spdx
from fleetgate.evidence.documents import Component, FileIssues, Kind, Parsed, Status, load_json

CYCLONEDX_VERSIONS = ("1.4", "1.5", "1.6")
SPDX_VERSIONS = ("SPDX-2.3",)
WHAT = "SBOM (CycloneDX JSON 1.4-1.6 or SPDX 2.3 JSON)"


def parse(raw: bytes, filename: str) -> Parsed:
    document = load_json(raw, filename, WHAT)
    issues = FileIssues(filename)
    if not isinstance(document, dict):
        issues.fail("$", "type", "An SBOM is a JSON object.", WHAT)
    if document.get("bomFormat") == "CycloneDX":
        parsed = _cyclonedx(document, filename)
    elif "spdxVersion" in document:
        version = document.get("spdxVersion")
        if version not in SPDX_VERSIONS:
            issues.fail(
                "$.spdxVersion", "spec-version", f"{str(version)[:40]} is not accepted; use SPDX-2.3 JSON.", WHAT
            )
        parsed = spdx.parse(document, filename)
    else:
        issues.fail(
            "$",
            "sbom-format",
            "Neither CycloneDX (bomFormat) nor SPDX (spdxVersion); export JSON from your SBOM tool.",
            WHAT,
        )
    if not parsed.components:
        parsed.summary["warnings"] = [EMPTY_WARNING]
    return parsed


EMPTY_WARNING = (
    "The SBOM lists no components: it is recorded, but does not count as the SBOM of a complete pack; "
    "generate it from the installed files or the build."
)


# --- CycloneDX ---------------------------------------------------------------------------------


def _linear_unique_items(validator: Any, unique: bool, instance: Any, schema: Any) -> Iterator[Any]:
    """jsonschema's uniqueItems is O(n^2) for objects (minutes for a 5,000-component SBOM); the same
    rule, JSON equality, checked in linear time through canonical JSON keys."""
    from jsonschema.exceptions import ValidationError

    if not unique or not isinstance(instance, list):
        return
    seen: set[str] = set()
    for item in instance:
        key = json.dumps(item, sort_keys=True, separators=(",", ":"))
        if key in seen:
            yield ValidationError(f"{instance!r:.80} has non-unique elements")
            return
        seen.add(key)


@cache
def _validator(spec: str) -> Any:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from jsonschema import validators

    official = JsonStrictValidator(SchemaVersion.from_version(spec))
    inner = official._validator  # the library's Draft 7 validator, with its schema and registry
    faster = validators.extend(type(inner), {"uniqueItems": _linear_unique_items})
    return faster(inner.schema, registry=inner._registry, format_checker=inner.format_checker)


def _cyclonedx(document: dict[str, Any], filename: str) -> Parsed:
    issues = FileIssues(filename)
    spec = document.get("specVersion")
    if spec not in CYCLONEDX_VERSIONS:
        issues.fail(
            "$.specVersion",
            "spec-version",
            f"CycloneDX {str(spec or '?')[:20]} is not accepted; use {', '.join(CYCLONEDX_VERSIONS)}.",
            WHAT,
        )
    try:
        errors = sorted(_validator(spec).iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    except RecursionError:  # pragma: no cover - the loader's depth limit keeps this out of reach
        issues.fail("$", "max-depth", "Nested too deeply to validate.", WHAT)
    for error in errors[:100]:
        issues.add(error.json_path, f"cyclonedx-{spec}:{error.validator}", error.message[:300])
    issues.raise_if_any(f"CycloneDX {spec} document")
    # After the strict schema, every member read below has its schema type.
    components = [_cdx_component(c) for c in walk(document.get("components", []))]
    subject = document.get("metadata", {}).get("component") or {}
    digests = {h["content"].lower() for h in subject.get("hashes", []) if h.get("alg") == "SHA-256"}
    parsed = Parsed(
        kind=Kind.SBOM,
        format=f"cyclonedx-{spec}",
        status=Status.RECORDED,
        summary={
            "format": f"cyclonedx-{spec}",
            "serial_number": document.get("serialNumber", ""),
            "subject": {"name": subject.get("name", ""), "version": subject.get("version", "")},
            "component_count": len(components),
            "components": [c.as_dict() for c in components],
        },
        components=components,
        digests=digests,
    )
    if document.get("vulnerabilities"):
        # pip-audit (and Trivy, Grype) write findings into the CycloneDX SBOM: a scan too, never dropped.
        parsed.summary["vulnerability_count"] = len(document["vulnerabilities"])
        parsed.summary["vulnerabilities_recorded_as"] = str(Kind.VULNERABILITY_SCAN)
        parsed.derived.append(scans.from_cyclonedx(document, filename, f"cyclonedx-{spec}"))
    return parsed


def walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Depth-first over nested components, without recursion."""
    stack = [c for c in reversed(components) if isinstance(c, dict)] if isinstance(components, list) else []
    while stack:
        component = stack.pop()
        yield component
        children = component.get("components")
        if isinstance(children, list):
            stack.extend(c for c in reversed(children) if isinstance(c, dict))


def _cdx_component(c: dict[str, Any]) -> Component:
    licenses: list[str] = []
    for entry in c.get("licenses", []):
        if "expression" in entry:
            licenses.append(entry["expression"])
        else:
            lic = entry.get("license", {})
            licenses.append(lic.get("id") or lic.get("name") or "")
    return Component(
        name=c.get("name", ""),
        version=c.get("version", ""),
        purl=c.get("purl", ""),
        licenses=tuple(lic for lic in licenses if lic),
        hashes=tuple((h["alg"], h["content"].lower()) for h in c.get("hashes", [])),
    )
