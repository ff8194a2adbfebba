"""The device-fleet model behind every simulated plane.

N devices per ring group, each in a site class (online / intermittent / air_gapped) with its own
report latency distribution; an install success probability; a share of late reporters. Each group
can be configured (`Fleet.configure_group`, see `groups.py`): device count, success rate, error-code
mix of failures, install latency, site-class mix and offline share per site class. Every outcome is
a pure function of (seed, deployment, device) and the group's configuration, so a run is
reproducible from its seed and a 50,000-device group costs no memory beyond the device list.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fleetsim.groups import DEFAULT_GROUPS, SITE_CLASSES, SITE_PROFILES, GroupSpec, SiteProfile, configure

__all__ = ["DEFAULT_GROUPS", "SITE_PROFILES", "Deployment", "Device", "Fleet", "GroupSpec", "SiteProfile"]


@dataclass(frozen=True)
class Device:
    id: str  # a GUID-shaped id, stable for (seed, group, index)
    name: str
    serial: str
    group: str
    site_class: str
    index: int
    offline: bool = False  # never reports (powered off, lost); stable for (seed, group, index)


def _unit(*parts: object) -> float:
    """A uniform number in [0, 1) derived from the parts (stable across runs and machines)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _guid(*parts: object) -> str:
    h = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _apportion(total: int, shares: Mapping[str, float]) -> dict[str, int]:
    """Largest-remainder split of `total` by `shares` (exact counts: 10 % of 200 is 20)."""
    raw = {k: total * v for k, v in shares.items()}
    counts = {k: int(v) for k, v in raw.items()}
    left = total - sum(counts.values())
    for key in sorted(raw, key=lambda k: (counts[k] - raw[k], k))[:left]:
        counts[key] += 1
    return counts


@dataclass
class Deployment:
    key: str
    group: str
    action: str  # install | uninstall
    assigned_at: float


TAMPER_CHANGES = ("uninstalled", "offline", "restored")
NOT_DETECTED = "0x87D00324"  # "the application was not detected after installation completed"
PREFIX = {"online": "WS", "intermittent": "RM", "air_gapped": "AG"}


@dataclass
class Fleet:
    seed: int = 7
    groups: tuple[GroupSpec, ...] = DEFAULT_GROUPS
    success_probability: float = 0.97
    not_applicable_rate: float = 0.01
    late_fraction: float = 0.03  # devices that report ten times later than their site class
    speed: float = 1.0  # simulated seconds per real second (demo: 600 ⇒ 20 min in 2 s)
    clock: Callable[[], float] = time.monotonic
    error_codes: Mapping[str, float] = field(default_factory=lambda: {"1603": 1.0})  # failures' default mix
    _offset: float = 0.0
    _devices: dict[str, list[Device]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Out-of-band changes made "at the console": (group, device id) -> (change, simulated time)
    _tampered: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._origin = self.clock()
        self.version = 0  # bumped by every change of time or configuration (simulators' caches key on it)

    # ---- time ---------------------------------------------------------------------------

    def now(self) -> float:
        """Simulated seconds since the fleet started."""
        return (self.clock() - self._origin) * self.speed + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds
            self.version += 1

    # ---- groups -------------------------------------------------------------------------

    def spec(self, group: str) -> GroupSpec | None:
        return next((g for g in self.groups if g.name == group), None)

    def group_names(self) -> list[str]:
        return [g.name for g in self.groups]

    def configure_group(self, name: str, **options: Any) -> GroupSpec:
        """Create or change a ring group; unnamed options keep their value. ValueError on a bad option.

        e.g. `fleet.configure_group("FG-PILOT", size=200, success_rate=0.95,
        error_codes={"1603": 0.7, "0x87D1041C": 0.3}, latency_s=60,
        site_mix={"online": 0.9, "intermittent": 0.1}, offline={"intermittent": 0.5})`.
        A group keeps its place, so plane-side ids (collections, group ids) stay stable.
        """
        with self._lock:
            spec = configure(self.spec(name), name, options)
            if any(g.name == name for g in self.groups):
                self.groups = tuple(spec if g.name == name else g for g in self.groups)
            else:
                self.groups = (*self.groups, spec)
            self._devices.pop(name, None)
            self.version += 1
        return spec

    def configure(self, config: Mapping[str, Any]) -> list[GroupSpec]:
        """Apply `{"groups": {name: options, ...}}` (a `fleetsim serve --fleet-file`); all or nothing."""
        groups = config.get("groups", {})
        if not isinstance(groups, Mapping) or set(config) - {"groups"}:
            raise ValueError('a fleet configuration is {"groups": {"<name>": {<options>}, ...}}')
        for name, options in groups.items():  # validate everything before changing anything
            if not isinstance(options, Mapping):
                raise ValueError(f"group {name!r}: options must be an object")
            configure(self.spec(name), name, options)
        return [self.configure_group(name, **options) for name, options in groups.items()]

    def add_group(self, name: str, size: int, site_class: str = "online") -> None:
        self.configure_group(name, size=size, site_class=site_class)

    # ---- devices ------------------------------------------------------------------------

    def devices(self, group: str) -> list[Device]:
        spec = self.spec(group)
        if spec is None:
            return []
        with self._lock:
            if group not in self._devices:
                self._devices[group] = self._build(spec)
            return self._devices[group]

    def _build(self, spec: GroupSpec) -> list[Device]:
        group, seed = spec.name, self.seed
        classes = [spec.site_class] * spec.size
        if spec.site_mix:
            order = sorted(range(spec.size), key=lambda i: _unit(seed, group, i, "site"))
            counts = _apportion(spec.size, spec.site_mix)
            it = iter(order)
            for site in SITE_CLASSES:
                for _ in range(counts.get(site, 0)):
                    classes[next(it)] = site
        offline: set[int] = set()
        for site, share in spec.offline.items():
            members = sorted(
                (i for i in range(spec.size) if classes[i] == site), key=lambda i: _unit(seed, group, i, "offline")
            )
            offline.update(members[: round(share * len(members))])
        return [
            Device(
                id=_guid(seed, group, i),
                name=f"{PREFIX.get(classes[i], 'DV')}-{group.removeprefix('FG-')[:4]}-{i:05d}",
                serial=f"C02{_guid(seed, 'serial', group, i)[:8].upper()}",
                group=group,
                site_class=classes[i],
                index=i,
                offline=i in offline,
            )
            for i in range(spec.size)
        ]

    # ---- out-of-band changes (the console) -------------------------------------------------

    def tamper(self, group: str, change: str, devices: Iterable[str] = (), count: int = 0) -> list[Device]:
        """Change devices behind the plane's back: `uninstalled` (the app removed by hand: installs
        assigned before now report it failed, not detected), `offline` (reports nothing from now on)
        or `restored` (undo). `devices` are ids or names; else the first `count` devices of the group."""
        if change not in TAMPER_CHANGES:
            raise ValueError(f"change must be one of {', '.join(TAMPER_CHANGES)}")
        members = self.devices(group)
        wanted = set(devices)
        chosen = [d for d in members if d.id in wanted or d.name in wanted] if wanted else members[: max(count, 0)]
        if wanted and len(chosen) != len(wanted):
            raise ValueError(
                f"unknown devices in {group}: {sorted(wanted - {d.id for d in chosen} - {d.name for d in chosen})}"
            )
        at = self.now()
        with self._lock:
            for device in chosen:
                if change == "restored":
                    self._tampered.pop((group, device.id), None)
                else:
                    self._tampered[(group, device.id)] = (change, at)
            self.version += 1
        return chosen

    def _tamper_of(self, deployment: Deployment, device: Device, at: float) -> str:
        change = self._tampered.get((device.group, device.id))
        if change is None or at < change[1]:
            return ""
        kind, since = change
        if kind == "offline":
            return "offline" if self.reported_at(deployment, device) > since else ""
        if kind == "uninstalled" and deployment.action == "install" and deployment.assigned_at <= since:
            return "uninstalled"
        return ""

    # ---- outcomes -----------------------------------------------------------------------

    def report_delay(self, deployment: Deployment, device: Device) -> float:
        profile = SITE_PROFILES.get(device.site_class, SITE_PROFILES["online"])
        if device.offline or not profile.reports:
            return math.inf
        spec = self.spec(device.group)
        z = _normal(self.seed, deployment.key, device.id, "latency")
        site_delay = profile.median_s * math.exp(profile.sigma * z)
        if spec is not None and spec.has_latency:
            if spec.latency_s is not None:
                delay = spec.latency_s
            else:
                delay = float(spec.latency_median_s or 0) * math.exp(
                    spec.latency_sigma * _normal(self.seed, deployment.key, device.id, "install")
                )
            if device.site_class != "online":
                delay += site_delay  # the device installs only once it checks in
            late = spec.late_fraction or 0.0
        else:
            delay = site_delay
            late = self.late_fraction if spec is None or spec.late_fraction is None else spec.late_fraction
        if _unit(self.seed, deployment.key, device.id, "late") < late:
            delay *= 10
        return delay

    def state(self, deployment: Deployment, device: Device, at: float | None = None) -> str:
        """installed | failed | pending | not_applicable | not_installed (after an uninstall)."""
        moment = self.now() if at is None else at
        tampered = self._tamper_of(deployment, device, moment) if self._tampered else ""
        if tampered == "offline":
            return "pending"
        elapsed = moment - deployment.assigned_at
        if elapsed < self.report_delay(deployment, device):
            return "pending"
        spec = self.spec(device.group)
        na_rate = (
            self.not_applicable_rate if spec is None or spec.not_applicable_rate is None else spec.not_applicable_rate
        )
        if _unit(self.seed, deployment.key, device.id, "applicable") < na_rate:
            return "not_applicable"
        u = _unit(self.seed, deployment.key, device.id, "success")
        if deployment.action == "uninstall":
            return "not_installed" if u < (1.0 if spec is None else spec.uninstall_success_rate) else "failed"
        rate = self.success_probability if spec is None or spec.success_rate is None else spec.success_rate
        return "installed" if u < rate and tampered != "uninstalled" else "failed"

    def error_code(self, deployment: Deployment, device: Device) -> str:
        """The error code a failed device reports, drawn from its group's mix (or the fleet's)."""
        if self._tampered and self._tamper_of(deployment, device, self.now()) == "uninstalled":
            return NOT_DETECTED
        spec = self.spec(device.group)
        mix = (spec.error_codes if spec is not None else None) or self.error_codes
        return _pick(mix, _unit(self.seed, deployment.key, device.id, "error"))

    def reported_at(self, deployment: Deployment, device: Device) -> float:
        return deployment.assigned_at + self.report_delay(deployment, device)

    def describe(self) -> list[dict[str, Any]]:
        return [{**g.as_dict(), "devices": len(self.devices(g.name))} for g in self.groups]


def _pick(mix: Mapping[str, float], u: float) -> str:
    total, acc = sum(mix.values()), 0.0
    items: Iterable[tuple[str, float]] = sorted(mix.items())
    last = ""
    for code, share in items:
        acc += share / total
        last = code
        if u < acc:
            return code
    return last


def _normal(*parts: object) -> float:
    return _probit(min(max(_unit(*parts), 1e-9), 1 - 1e-9))


def _probit(p: float) -> float:
    """Inverse of the standard normal CDF (Acklam's approximation; plenty for a simulator)."""
    a = (
        -39.69683028665376,
        220.9460984245205,
        -275.9285104469687,
        138.3577518672690,
        -30.66479806614716,
        2.506628277459239,
    )
    b = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572)
    c = (
        -0.007784894002430293,
        -0.3223964580411365,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    )
    d = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
    low = 0.02425
    if p < low:
        q = math.sqrt(-2 * math.log(p))
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
        )
    if p > 1 - low:
        q = math.sqrt(-2 * math.log(1 - p))
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
        )
    q = p - 0.5
    r = q * q
    return (
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
        * q
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    )
