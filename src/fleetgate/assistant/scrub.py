"""Scrub PII and secrets from text before it leaves the installation.

Secrets are detected with detect-secrets (Yelp; maintained, pure Python, no model downloads): the
regular expressions of its credential plugins (AWS, GitHub, GitLab, Slack, Stripe, OpenAI, JWT, npm,
PyPI, Azure storage, basic-auth URLs, ...) and its Shannon-entropy measure for long random strings.
PII that no secret scanner covers is matched here with strict patterns: e-mail addresses and UPNs,
IPv4/IPv6 addresses (validated with `ipaddress`), PEM blocks, Fleetgate's own `fg_` tokens; device,
host and people's names by policy: the names the retrieved records say are devices or people, plus
the policy's host-name patterns.

Each distinct value becomes a stable placeholder (`[EMAIL-1]`, `[HOST-2]`), so the model can still
refer to "the same device" and the answer can be mapped back locally; the mapping never leaves.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString

ENTROPY_LIMIT = 4.5  # detect-secrets' default for base64-ish strings
ENTROPY_MIN_LENGTH = 24
SKIP_PLUGINS = {"IPPublicDetector"}  # IPs are handled below, private ranges included

PEM = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?-----END [A-Z0-9 ]+-----", re.DOTALL)
FLEETGATE_TOKEN = re.compile(r"\bfg_[A-Za-z0-9]+_[A-Za-z0-9_\-]{8,}")
BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{12,}")
KEYWORD = re.compile(r"(?i)\b(password|passwd|pwd|secret|api[_-]?key|token|client_secret)\b(\s*[:=]\s*)(\S+)")
EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+\b")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
IPV6 = re.compile(r"(?<![\w:])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:)[0-9A-Fa-f:]{2,39}(?![\w:])")  # validated below
CANDIDATE = re.compile(rf"[A-Za-z0-9+/=_\-]{{{ENTROPY_MIN_LENGTH},}}")
HEX_DIGEST = re.compile(r"^[0-9a-f]{32,128}$")  # artifact digests are identifiers, kept for citations


def _secret_patterns() -> list[tuple[str, re.Pattern[str]]]:
    patterns: list[tuple[str, re.Pattern[str]]] = []
    plugins: dict[str, Any] = dict(get_mapping_from_secret_type_to_class())
    for secret_type, plugin in sorted(plugins.items()):
        if plugin.__name__ in SKIP_PLUGINS or not issubclass(plugin, RegexBasedDetector):
            continue
        denylist: Iterable[re.Pattern[str]] = getattr(plugin, "denylist", ())
        patterns.extend((secret_type, regex) for regex in denylist)
    return patterns


SECRET_PATTERNS = _secret_patterns()
_ENTROPY = Base64HighEntropyString(limit=ENTROPY_LIMIT)


@dataclass
class Scrubber:
    """One per interaction: the same value gets the same placeholder across every message."""

    hostnames: bool = True
    people: bool = True
    host_patterns: list[str] = field(default_factory=list)
    devices: set[str] = field(default_factory=set)
    persons: set[str] = field(default_factory=set)
    mapping: dict[str, str] = field(default_factory=dict)  # placeholder -> original
    counts: Counter[str] = field(default_factory=Counter)
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def for_policy(
        cls, policy: dict[str, Any], *, devices: Iterable[str] = (), persons: Iterable[str] = ()
    ) -> Scrubber:
        return cls(
            hostnames=bool(policy.get("hostnames", True)),
            people=bool(policy.get("people", True)),
            host_patterns=[str(p) for p in policy.get("host_patterns", [])],
            devices={d for d in devices if d},
            persons={p for p in persons if p},
        )

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._by_value:
            n = sum(1 for k, _ in self._by_value if k == kind) + 1
            self._by_value[key] = f"[{kind}-{n}]"
            self.mapping[self._by_value[key]] = value
        self.counts[kind.lower()] += 1
        return self._by_value[key]

    def _sub(self, kind: str, pattern: re.Pattern[str], text: str, group: int = 0) -> str:
        def repl(match: re.Match[str]) -> str:
            value = match.group(group)
            if not value or (value.startswith("[") and value.endswith("]")):
                return match.group(0)
            whole = match.group(0)
            return whole.replace(value, self._placeholder(kind, value))

        return pattern.sub(repl, text)

    def scrub(self, text: str) -> str:
        text = self._sub("KEY", PEM, text)
        text = self._sub("TOKEN", FLEETGATE_TOKEN, text)
        text = self._sub("TOKEN", BEARER, text)
        for _, regex in SECRET_PATTERNS:
            text = self._sub("SECRET", regex, text)
        text = self._sub("SECRET", KEYWORD, text, group=3)
        text = self._sub("EMAIL", EMAIL, text)  # e-mail addresses and UPNs look alike: both go
        text = self._ips(text)
        text = self._entropy(text)
        if self.hostnames:
            text = self._names("HOST", self.devices, text)
            for raw in self.host_patterns:
                text = self._sub("HOST", re.compile(raw), text)
        if self.people:
            text = self._names("PERSON", self.persons, text)
        return text

    def _ips(self, text: str) -> str:
        def repl(match: re.Match[str]) -> str:
            value = match.group(0)
            if not any(c.isalnum() for c in value):
                return value
            try:
                ipaddress.ip_address(value)
            except ValueError:
                return value
            return self._placeholder("IP", value)

        return IPV6.sub(repl, IPV4.sub(repl, text))

    def _entropy(self, text: str) -> str:
        def repl(match: re.Match[str]) -> str:
            value = match.group(0)
            if HEX_DIGEST.match(value) or not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
                return value
            if _ENTROPY.calculate_shannon_entropy(value) < ENTROPY_LIMIT:
                return value
            return self._placeholder("SECRET", value)

        return CANDIDATE.sub(repl, text)

    def _names(self, kind: str, names: set[str], text: str) -> str:
        """One pass, longest name first at each position: placeholders follow the order of the text."""
        if not names:
            return text
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
        pattern = re.compile(rf"(?<![\w\-.])(?:{alternatives})(?![\w\-])")
        return pattern.sub(lambda m: self._placeholder(kind, m.group(0)), text)

    def restore(self, text: str) -> str:
        """Put the originals back into a provider's answer, locally, for the person who asked."""
        for placeholder, value in sorted(self.mapping.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(placeholder, value)
        return text

    def report(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))
