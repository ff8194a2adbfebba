"""The device-fleet model behind every simulated plane.

N devices per ring group, each in a site class (online / intermittent / air_gapped) with its own
report latency distribution; an install success probability; a share of late reporters. Every
outcome is a pure function of (seed, deployment, device), so a run is reproducible from its seed
and a 50,000-device group costs no memory beyond the device list.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class Device:
    id: str  # a GUID-shaped id, stable for (seed, group, index)
    name: str
    serial: str
    group: str
    site_class: str
    index: int


@dataclass(frozen=True)
class GroupSpec:
    name: str
    size: int
    site_class: str = "online"


DEFAULT_GROUPS = (
    GroupSpec("FG-LAB", 8),
    GroupSpec("FG-CANARY", 40),
    GroupSpec("FG-PILOT", 200),
    GroupSpec("FG-DEPARTMENT", 600, "intermittent"),
    GroupSpec("FG-GLOBAL", 1500, "intermittent"),
    GroupSpec("FG-AIRGAP", 20, "air_gapped"),
)


def _unit(*parts: object) -> float:
    """A uniform number in [0, 1) derived from the parts (stable across runs and machines)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _guid(*parts: object) -> str:
    h = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


@dataclass
class Deployment:
    key: str
    group: str
    action: str  # install | uninstall
    assigned_at: float


@dataclass
class Fleet:
    seed: int = 7
    groups: tuple[GroupSpec, ...] = DEFAULT_GROUPS
    success_probability: float = 0.97
    not_applicable_rate: float = 0.01
    late_fraction: float = 0.03  # devices that report ten times later than their site class
    speed: float = 1.0  # simulated seconds per real second (demo: 600 ⇒ 20 min in 2 s)
    clock: Callable[[], float] = time.monotonic
    _offset: float = 0.0
    _devices: dict[str, list[Device]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._origin = self.clock()

    # ---- time ---------------------------------------------------------------------------

    def now(self) -> float:
        """Simulated seconds since the fleet started."""
        return (self.clock() - self._origin) * self.speed + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    # ---- devices ------------------------------------------------------------------------

    def spec(self, group: str) -> GroupSpec | None:
        return next((g for g in self.groups if g.name == group), None)

    def devices(self, group: str) -> list[Device]:
        spec = self.spec(group)
        if spec is None:
            return []
        with self._lock:
            if group not in self._devices:
                prefix = {"online": "WS", "intermittent": "RM", "air_gapped": "AG"}.get(spec.site_class, "DV")
                self._devices[group] = [
                    Device(
                        id=_guid(self.seed, group, i),
                        name=f"{prefix}-{group.removeprefix('FG-')[:4]}-{i:05d}",
                        serial=f"C02{_guid(self.seed, 'serial', group, i)[:8].upper()}",
                        group=group,
                        site_class=spec.site_class,
                        index=i,
                    )
                    for i in range(spec.size)
                ]
            return self._devices[group]

    def group_names(self) -> list[str]:
        return [g.name for g in self.groups]

    def add_group(self, name: str, size: int, site_class: str = "online") -> None:
        with self._lock:
            self.groups = (*[g for g in self.groups if g.name != name], GroupSpec(name, size, site_class))
            self._devices.pop(name, None)

    # ---- outcomes -----------------------------------------------------------------------

    def report_delay(self, deployment: Deployment, device: Device) -> float:
        profile = SITE_PROFILES.get(device.site_class, SITE_PROFILES["online"])
        if not profile.reports:
            return math.inf
        u = min(max(_unit(self.seed, deployment.key, device.id, "latency"), 1e-9), 1 - 1e-9)
        z = _probit(u)
        delay = profile.median_s * math.exp(profile.sigma * z)
        if _unit(self.seed, deployment.key, device.id, "late") < self.late_fraction:
            delay *= 10
        return delay

    def state(self, deployment: Deployment, device: Device, at: float | None = None) -> str:
        """installed | failed | pending | not_applicable | not_installed (after an uninstall)."""
        elapsed = (self.now() if at is None else at) - deployment.assigned_at
        if elapsed < self.report_delay(deployment, device):
            return "pending"
        if _unit(self.seed, deployment.key, device.id, "applicable") < self.not_applicable_rate:
            return "not_applicable"
        if deployment.action == "uninstall":
            return "not_installed"
        ok = _unit(self.seed, deployment.key, device.id, "success") < self.success_probability
        return "installed" if ok else "failed"

    def reported_at(self, deployment: Deployment, device: Device) -> float:
        return deployment.assigned_at + self.report_delay(deployment, device)


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
