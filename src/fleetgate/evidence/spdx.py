"""SPDX 2.3 JSON: the type of every member spdx-tools reads is checked first (spdx-tools assumes
them and crashes on a string where a list belongs), then spdx-tools parses and validates; each
of its errors is traced back to the member it came from."""

from __future__ import annotations

import re
from typing import Any

from fleetgate.evidence.documents import Component, FileIssues, Kind, Parsed, Status

WHAT = "SPDX 2.3 document"
S, B, I = str, bool, int  # noqa: E741 - the member types of the SPDX JSON schema, spelled short
CHECKSUM: dict[str, Any] = {"algorithm": S, "checksumValue": S}
ANNOTATION: dict[str, Any] = {"annotationDate": S, "annotationType": S, "annotator": S, "comment": S}
POINTER: dict[str, Any] = {"offset": I, "lineNumber": I, "reference": S}
_COMMON: dict[str, Any] = {
    "SPDXID": S,
    "name": S,
    "comment": S,
    "licenseConcluded": S,
    "licenseComments": S,
    "copyrightText": S,
    "attributionTexts": [S],
    "annotations": [ANNOTATION],
}
PACKAGE: dict[str, Any] = {
    **_COMMON,
    "versionInfo": S,
    "packageFileName": S,
    "supplier": S,
    "originator": S,
    "downloadLocation": S,
    "filesAnalyzed": B,
    "packageVerificationCode": {"packageVerificationCodeValue": S, "packageVerificationCodeExcludedFiles": [S]},
    "checksums": [CHECKSUM],
    "homepage": S,
    "sourceInfo": S,
    "licenseInfoFromFiles": [S],
    "licenseDeclared": S,
    "summary": S,
    "description": S,
    "externalRefs": [{"referenceCategory": S, "referenceType": S, "referenceLocator": S, "comment": S}],
    "primaryPackagePurpose": S,
    "releaseDate": S,
    "builtDate": S,
    "validUntilDate": S,
    "hasFiles": [S],
}
FILE: dict[str, Any] = {
    **_COMMON,
    "fileName": S,
    "fileTypes": [S],
    "checksums": [CHECKSUM],
    "licenseInfoInFiles": [S],
    "noticeText": S,
    "fileContributors": [S],
    "fileDependencies": [S],
    "artifactOfs": [{}],
}
SNIPPET: dict[str, Any] = {
    **_COMMON,
    "snippetFromFile": S,
    "ranges": [{"startPointer": POINTER, "endPointer": POINTER}],
    "licenseInfoInSnippets": [S],
}
DOCUMENT: dict[str, Any] = {
    "spdxVersion": S,
    "dataLicense": S,
    "SPDXID": S,
    "name": S,
    "documentNamespace": S,
    "comment": S,
    "creationInfo": {"created": S, "creators": [S], "licenseListVersion": S, "comment": S},
    "externalDocumentRefs": [{"externalDocumentId": S, "spdxDocument": S, "checksum": CHECKSUM}],
    "hasExtractedLicensingInfos": [
        {"licenseId": S, "extractedText": S, "name": S, "comment": S, "seeAlsos": [S], "crossRefs": [{}]}
    ],
    "annotations": [ANNOTATION],
    "documentDescribes": [S],
    "packages": [PACKAGE],
    "files": [FILE],
    "snippets": [SNIPPET],
    "relationships": [{"spdxElementId": S, "relationshipType": S, "relatedSpdxElement": S, "comment": S}],
}
_NAMES = {S: "a string", B: "true or false", I: "an integer"}
_VERSION = re.compile(r"^(\d+)\.(\d+)$")


def check_types(document: dict[str, Any], issues: FileIssues) -> None:
    """Every present member has its SPDX 2.3 JSON type; unknown members are left alone."""
    stack: list[tuple[str, Any, Any]] = [("$", document, DOCUMENT)]
    while stack and len(issues.items) < 100:
        path, value, spec = stack.pop()
        if isinstance(spec, dict):
            if not isinstance(value, dict):
                issues.add(path, "spdx-2.3:type", "Must be an object.")
                continue
            for key, sub in spec.items():
                if key in value:
                    stack.append((f"{path}.{key}", value[key], sub))
        elif isinstance(spec, list):
            if not isinstance(value, list):
                issues.add(path, "spdx-2.3:type", "Must be an array.")
                continue
            stack.extend((f"{path}[{i}]", item, spec[0]) for i, item in enumerate(value))
        elif not isinstance(value, spec) or (spec is I and isinstance(value, bool)):
            issues.add(path, "spdx-2.3:type", f"Must be {_NAMES[spec]}.")


def _locate(document: dict[str, Any], issues: FileIssues) -> None:
    """spdx-tools reports parse errors per element type, not per member: find the member."""
    from spdx_tools.spdx.parser.actor_parser import ActorParser
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    creation = document.get("creationInfo") or {}
    version = creation.get("licenseListVersion")
    if version is not None and not _VERSION.match(version):
        issues.add(
            "$.creationInfo.licenseListVersion",
            "spdx-2.3:license-list-version",
            f"'{version[:40]}' is not a licence list version; write MAJOR.MINOR, e.g. 3.25.",
        )
    for index, creator in enumerate(creation.get("creators") or []):
        try:
            ActorParser.parse_actor(creator)
        except SPDXParsingError as exc:
            issues.add(f"$.creationInfo.creators[{index}]", "spdx-2.3:parse", _message(exc))
    parser = JsonLikeDictParser()
    elements = (
        ("packages", parser.package_parser.parse_package),
        ("files", parser.file_parser.parse_file),
        ("snippets", parser.snippet_parser.parse_snippet),
        ("relationships", parser.relationship_parser.parse_relationship),
        ("hasExtractedLicensingInfos", parser.extracted_licensing_info_parser.parse_extracted_licensing_info),
    )
    for member, parse in elements:
        for index, element in enumerate(document.get(member) or []):
            try:
                parse(element)
            except SPDXParsingError as exc:
                issues.add(f"$.{member}[{index}]", "spdx-2.3:parse", _message(exc))


def _message(exc: Any) -> str:
    return "; ".join(str(m) for m in exc.get_messages())[:300]


def _index(document: dict[str, Any]) -> dict[str, str]:
    """SPDX id -> the JSON path of the element that declares it, for validation messages."""
    where = {"SPDXRef-DOCUMENT": "$"}
    for member in ("packages", "files", "snippets"):
        for index, element in enumerate(document.get(member) or []):
            if isinstance(element, dict) and isinstance(element.get("SPDXID"), str):
                where.setdefault(element["SPDXID"], f"$.{member}[{index}]")
    return where


def parse(document: dict[str, Any], filename: str) -> Parsed:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    issues = FileIssues(filename)
    check_types(document, issues)
    issues.raise_if_any(WHAT)
    try:
        parsed = JsonLikeDictParser().parse(document)
    except SPDXParsingError as exc:
        _locate(document, issues)
        if not issues.items:
            issues.add("$", "spdx-2.3:parse", _message(exc))
        issues.raise_if_any(WHAT)
        raise  # pragma: no cover
    where = _index(document)
    for message in validate_full_spdx_document(parsed, "SPDX-2.3"):
        spdx_id = message.context.spdx_id or message.context.parent_id or ""
        path = where.get(spdx_id, "$")
        issues.add(path, "spdx-2.3:validate", message.validation_message[:300])
    issues.raise_if_any(WHAT)
    return _reduce(parsed)


def _reduce(parsed: Any) -> Parsed:
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
