"""The address a request came from, believing X-Forwarded-For only from configured proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(specs: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(s, strict=False) for s in specs)


def _within(address: str, nets: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in nets)


def client_ip(meta: Mapping[str, Any], trusted: tuple[Network, ...]) -> str:
    """REMOTE_ADDR, unless that is a trusted proxy: then the right-most X-Forwarded-For hop that is
    not a trusted proxy itself. A client cannot spoof its address by sending the header: hops it
    wrote sit left of the ones our proxies appended, and are never reached while an untrusted hop
    comes first."""
    remote = str(meta.get("REMOTE_ADDR") or "")
    if not trusted or not _within(remote, trusted):
        return remote
    hops = [h.strip() for h in str(meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop
    return hops[0] if hops else remote


def allowed(address: str, nets: tuple[Network, ...]) -> bool:
    return bool(nets) and _within(address, nets)
