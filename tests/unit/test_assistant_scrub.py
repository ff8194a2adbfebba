"""The scrubber: what must never leave the installation, and what must stay (ids, digests, words)."""

from __future__ import annotations

import pytest

from fleetgate.assistant.scrub import Scrubber

DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.mark.parametrize(
    ("secret", "kind"),
    [
        ("jane.doe@corp.example", "email"),
        ("j.doe@ad.corp.example", "email"),  # a UPN
        ("10.20.30.40", "ip"),
        ("fe80::1ff:fe23:4567:890a", "ip"),
        ("AKIAIOSFODNN7EXAMPLE", "secret"),
        ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "secret"),
        ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "secret"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "secret"),
        ("fg_k3y1d_Zm9vYmFyYmF6cXV4", "token"),
        ("Bearer abcdefghijklmnop.qrstuvwx", "token"),
    ],
)
def test_each_kind_is_replaced_and_restored(secret: str, kind: str) -> None:
    scrubber = Scrubber()
    out = scrubber.scrub(f"seen: {secret} (twice: {secret})")
    assert secret not in out
    assert scrubber.report().get(kind, 0) >= 1
    assert scrubber.restore(out) == f"seen: {secret} (twice: {secret})"


def test_pem_blocks_and_keyword_secrets() -> None:
    scrubber = Scrubber()
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
    out = scrubber.scrub(f"key:\n{pem}\npassword = hunter2-is-weak")
    assert "MIIEvQ" not in out
    assert "hunter2-is-weak" not in out
    assert "password = [SECRET-" in out


def test_identifiers_and_prose_are_kept() -> None:
    text = f"Artifact sha256 {DIGEST}, intent 3f2b6c1e-8a4d-4b7e-9c1a-2d5e6f708192, MSI 1603, version 1.3.1, zlib."
    scrubber = Scrubber()
    assert scrubber.scrub(text) == text
    assert scrubber.report() == {}


def test_hosts_and_people_by_policy() -> None:
    text = "WS-0042 failed; ws-0042.corp.example too; alice approved; WS-00421 is another device"
    on = Scrubber.for_policy(
        {"host_patterns": [r"\b[a-z]{2}-\d{4}\.corp\.example\b"]}, devices={"WS-0042"}, persons={"alice"}
    )
    out = on.scrub(text)
    assert "WS-0042 " not in out
    assert "ws-0042.corp.example" not in out
    assert "alice" not in out
    assert "WS-00421" in out  # a longer name is not the device
    off = Scrubber.for_policy({"hostnames": False, "people": False}, devices={"WS-0042"}, persons={"alice"})
    assert off.scrub(text) == text


def test_the_same_value_keeps_one_placeholder_in_order_of_appearance() -> None:
    scrubber = Scrubber.for_policy({}, devices={"B-2", "A-1"})
    assert scrubber.scrub("B-2 then A-1 then B-2") == "[HOST-1] then [HOST-2] then [HOST-1]"
