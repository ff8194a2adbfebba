"""Ring groups of the simulated fleet: what a test or the demo configures per group, validated.

A group has a device count and, optionally, its own install success rate, the mix of error codes
its failures report, an install latency (fixed, or log-normal median/sigma), the mix of site
classes of its devices and, per site class, the share of devices that are offline (never report).
Unset options fall back to the fleet's defaults, which reproduce the original model exactly.

Error codes are strings: a Win32 / installer exit code in decimal (`"1603"`, at most 65535), an
HRESULT in hex (`"0x87D1041C"`), or `"timeout"`. Each plane reports them its own way (see
`hresult` and `exit_status`); the connectors turn them back into the same string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class SiteProfile:
    median_s: float  # median time from assignment to the device's report
    sigma: float  # log-normal spread
    reports: bool = True  # air-gapped devices never report online


SITE_PROFILES: dict[str, SiteProfile] = {
    "online": SiteProfile(median_s=20 * 60, sigma=0.8),
    "intermittent": SiteProfile(median_s=8 * 3600, sigma=1.0),
    "air_gapped": SiteProfile(median_s=7 * 86400, sigma=0.5, reports=False),
}
SITE_CLASSES = tuple(SITE_PROFILES)
ERROR_CODE = re.compile(r"^(timeout|\d{1,5}|0x[0-9A-Fa-f]{1,8})$")
TIMEOUT_HRESULT = 0x800705B4  # HRESULT_FROM_WIN32(ERROR_TIMEOUT = 1460)


@dataclass(frozen=True, eq=False)
class GroupSpec:
    name: str
    size: int
    site_class: str = "online"  # the class of every device unless site_mix says otherwise
    success_rate: float | None = None  # None: the fleet's success_probability
    error_codes: Mapping[str, float] = field(default_factory=dict)  # code -> share of failures; {}: fleet's
    latency_s: float | None = None  # fixed install latency (online devices report exactly then)
    latency_median_s: float | None = None  # or log-normal install latency
    latency_sigma: float = 0.0
    site_mix: Mapping[str, float] = field(default_factory=dict)  # site class -> share of devices
    offline: Mapping[str, float] = field(default_factory=dict)  # site class -> share that never reports
    late_fraction: float | None = None  # None: the fleet's (0 when the group sets a latency)
    not_applicable_rate: float | None = None  # None: the fleet's
    uninstall_success_rate: float = 1.0

    @property
    def has_latency(self) -> bool:
        return self.latency_s is not None or self.latency_median_s is not None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_codes"], data["site_mix"], data["offline"] = (
            dict(self.error_codes),
            dict(self.site_mix),
            dict(self.offline),
        )
        return data


DEFAULT_GROUPS = (
    GroupSpec("FG-LAB", 8),
    GroupSpec("FG-CANARY", 40),
    GroupSpec("FG-PILOT", 200),
    GroupSpec("FG-DEPARTMENT", 600, "intermittent"),
    GroupSpec("FG-GLOBAL", 1500, "intermittent"),
    GroupSpec("FG-AIRGAP", 20, "air_gapped"),
)
OPTIONS = frozenset(GroupSpec.__dataclass_fields__) - {"name"}


def _rate(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a number between 0 and 1, not {value!r}")
    return float(value)


def _shares(name: str, value: Any, keys: Any = None) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be an object of shares, not {value!r}")
    out = {}
    for key, share in value.items():
        if keys is not None and key not in keys:
            raise ValueError(f"{name}: unknown key {key!r}; one of {', '.join(keys)}")
        out[str(key)] = _rate(f"{name}[{key}]", share)
    return out


def _mix(name: str, value: Any, keys: Any = None) -> dict[str, float]:
    shares = _shares(name, value, keys)
    total = sum(shares.values())
    if shares and total <= 0:
        raise ValueError(f"{name}: the shares must not all be 0")
    return {k: v / total for k, v in shares.items() if v > 0}


def _seconds(name: str, value: Any, positive: bool = False) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be a number of seconds {'> 0' if positive else '>= 0'}, not {value!r}")
    return float(value)


def configure(current: GroupSpec | None, name: str, options: Mapping[str, Any]) -> GroupSpec:
    """`current` with `options` applied (a new group when None), or ValueError naming the option."""
    unknown = sorted(set(options) - OPTIONS)
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)}; one of {', '.join(sorted(OPTIONS))}")
    if current is None and "size" not in options:
        raise ValueError(f"group {name!r} does not exist: give its size")
    changes: dict[str, Any] = {}
    for key, value in options.items():
        if key == "size":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
                raise ValueError(f"size must be an integer between 0 and 1000000, not {value!r}")
            changes[key] = value
        elif key == "site_class":
            if value not in SITE_CLASSES:
                raise ValueError(f"site_class must be one of {', '.join(SITE_CLASSES)}, not {value!r}")
            changes[key] = value
        elif key in ("success_rate", "late_fraction", "not_applicable_rate"):
            changes[key] = None if value is None else _rate(key, value)
        elif key == "uninstall_success_rate":
            changes[key] = _rate(key, value)
        elif key == "error_codes":
            codes = _mix(key, value)
            bad = [c for c in codes if not ERROR_CODE.match(c)]
            if bad:
                raise ValueError(f"error_codes: {', '.join(bad)} must be decimal (<= 65535), 0x-hex or 'timeout'")
            changes[key] = codes
        elif key == "site_mix":
            changes[key] = _mix(key, value, SITE_CLASSES)
        elif key == "offline":
            is_rate = isinstance(value, int | float) and not isinstance(value, bool)
            changes[key] = (
                dict.fromkeys(SITE_CLASSES, _rate(key, value)) if is_rate else _shares(key, value, SITE_CLASSES)
            )
        elif key in ("latency_s", "latency_median_s"):
            changes[key] = _seconds(key, value, positive=key == "latency_median_s")
        else:  # latency_sigma
            sigma = _seconds(key, value)
            changes[key] = 0.0 if sigma is None else sigma
    if changes.get("latency_s") is not None:
        changes.setdefault("latency_median_s", None)
    elif changes.get("latency_median_s") is not None:
        changes.setdefault("latency_s", None)
    return replace(current, **changes) if current is not None else GroupSpec(name=name, **changes)


def hresult(code: str) -> int:
    """The code as Graph and the AdminService report it: a signed 32-bit HRESULT (1603 -> 0x80070643)."""
    if code == "timeout":
        value = TIMEOUT_HRESULT
    elif code.lower().startswith("0x"):
        value = int(code, 16)
    else:
        value = 0x80070000 | int(code)
    return value - 2**32 if value >= 2**31 else value


def exit_status(code: str) -> int | None:
    """The code as a process exit status (Landscape result_code, Ansible rc); None for a timeout."""
    if code == "timeout":
        return None
    return int(code, 16) if code.lower().startswith("0x") else int(code)
