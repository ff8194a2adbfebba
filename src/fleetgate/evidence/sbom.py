"""SBOM ingestion: CycloneDX JSON 1.4 / 1.5 / 1.6 (cyclonedx-python-lib) and SPDX 2.3 JSON (spdx-tools).

Both are validated against their specification by the official library, then reduced to the
components (name, version, purl, licences, hashes) Fleetgate can query and seal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

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
        return _cyclonedx(document, raw, filename)
    if "spdxVersion" in document:
        return _spdx(document, filename)
    issues.fail(
        "$",
        "sbom-format",
        "Neither CycloneDX (bomFormat) nor SPDX (spdxVersion); export JSON from your SBOM tool.",
        WHAT,
    )
    raise AssertionError("unreachable")  # pragma: no cover


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


def _cyclonedx(document: dict[str, Any], raw: bytes, filename: str) -> Parsed:
    issues = FileIssues(filename)
    spec = str(document.get("specVersion", ""))
    if spec not in CYCLONEDX_VERSIONS:
        issues.fail(
            "$.specVersion",
            "spec-version",
            f"CycloneDX {spec or '?'} is not accepted; use {', '.join(CYCLONEDX_VERSIONS)}.",
            WHAT,
        )
    for error in sorted(_validator(spec).iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        issues.add(error.json_path, f"cyclonedx-{spec}:{error.validator}", error.message[:300])
    issues.raise_if_any(f"CycloneDX {spec} document")
    components = [_cdx_component(c) for c in _walk(document.get("components", []))]
    subject = document.get("metadata", {}).get("component") or {}
    digests = {h["content"].lower() for h in subject.get("hashes", []) if h.get("alg") == "SHA-256"}
    return Parsed(
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


def _walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for component in components:
        yield component
        yield from _walk(component.get("components", []))


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


# --- SPDX --------------------------------------------------------------------------------------


def _spdx(document: dict[str, Any], filename: str) -> Parsed:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    issues = FileIssues(filename)
    version = document.get("spdxVersion")
    if version not in SPDX_VERSIONS:
        issues.fail("$.spdxVersion", "spec-version", f"{version} is not accepted; use SPDX-2.3 JSON.", WHAT)
    try:
        parsed = JsonLikeDictParser().parse(document)
    except SPDXParsingError as exc:
        for message in exc.get_messages():
            issues.add("$", "spdx-2.3:parse", str(message)[:300])
        issues.raise_if_any("SPDX 2.3 document")
        raise  # pragma: no cover
    for message in validate_full_spdx_document(parsed, "SPDX-2.3"):
        where = message.context.spdx_id or message.context.parent_id or ""
        element = message.context.element_type.name.lower() if message.context.element_type else "document"
        issues.add(f"$.{element}[{where}]" if where else "$", "spdx-2.3:validate", message.validation_message[:300])
    issues.raise_if_any("SPDX 2.3 document")
    described = {
        r.related_spdx_element_id
        for r in parsed.relationships
        if r.relationship_type.name == "DESCRIBES" and r.spdx_element_id == "SPDXRef-DOCUMENT"
    }
    components, digests = [], set()
    for package in parsed.packages:
        hashes = tuple((c.algorithm.name.replace("SHA", "SHA-"), c.value.lower()) for c in package.checksums)
        if package.spdx_id in described:
            digests |= {v for a, v in hashes if a == "SHA-256"}
        purl = next((r.locator for r in package.external_references if r.reference_type == "purl"), "")
        licenses = [str(x) for x in (package.license_concluded, package.license_declared) if x is not None]
        components.append(
            Component(
                name=package.name,
                version=package.version or "",
                purl=purl,
                licenses=tuple(dict.fromkeys(lic for lic in licenses if lic not in ("NOASSERTION", "NONE"))),
                hashes=hashes,
            )
        )
    return Parsed(
        kind=Kind.SBOM,
        format="spdx-2.3",
        status=Status.RECORDED,
        summary={
            "format": "spdx-2.3",
            "serial_number": parsed.creation_info.document_namespace,
            "subject": {"name": parsed.creation_info.name, "version": ""},
            "component_count": len(components),
            "components": [c.as_dict() for c in components],
        },
        components=components,
        digests=digests,
    )
