"""A CycloneDX vulnerability scan that lists no vulnerabilities is a clean scan, not a server error."""

from __future__ import annotations

import pytest

from fleetgate.core.errors import EvidenceInvalid
from fleetgate.evidence import scans
from tests.fixtures.evidence import builders as b

SHA = "a" * 64


def test_an_empty_vulnerabilities_list_is_a_clean_scan() -> None:
    document = b.pip_audit_cyclonedx(SHA, [("CVE-2026-0001", 5.0)])
    document["vulnerabilities"] = []
    parsed = scans.parse(b.dumps(document), "audit.json")
    assert parsed.kind == "vulnerability_scan"
    assert parsed.summary["findings"] == []
    assert SHA in parsed.digests


def test_a_schema_error_in_such_a_scan_names_the_path_and_rule() -> None:
    document = b.pip_audit_cyclonedx(SHA, [("CVE-2026-0001", 5.0)])
    document["vulnerabilities"] = [{"id": 7}]
    with pytest.raises(EvidenceInvalid) as caught:
        scans.parse(b.dumps(document), "audit.json")
    assert caught.value.status == 422
    assert all(e.field.startswith("audit.json:$") and e.rule for e in caught.value.errors)
