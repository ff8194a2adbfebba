"""The plain data that crosses the connector boundary: frozen dataclasses in and out of every
connector (no ORM object), the device states, how a plane's error code is rendered, and the tally
observe() keeps while paging. `base.py` re-exports all of it (connectors import it from there)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Artifact:
    """What to publish: the bytes (a local file) and what they are."""

    name: str  # application display name
    version: str
    filename: str
    sha256: str
    size: int
    platform: str = "windows"
    format: str = "msi"
    publisher: str = ""
    path: str = ""  # local file with the content; empty: publish metadata only (dry run, self-test)
    install_command: str = ""
    uninstall_command: str = ""
    package_name: str = ""  # Linux package / Ansible role variable name
    # the install facts' detection rules (evidence `install_facts.detection_rules`, as recorded)
    detection_rules: tuple[Mapping[str, Any], ...] = ()

    def chunks(self, size: int = 4 * 1024 * 1024) -> Iterator[bytes]:
        if not self.path:
            yield b""
            return
        with open(self.path, "rb") as handle:
            while block := handle.read(size):
                yield block


@dataclass(frozen=True)
class AppRef:
    """An application object as the plane knows it."""

    plane: str
    external_id: str
    name: str
    version: str
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RingGroup:
    """A ring's device group on the plane (Entra group, Jamf computer group, collection, tag, limit)."""

    name: str
    external_id: str = ""
    ring: str = ""
    site_class: str = "online"
    # The plane's id of the assignment made for the app on this group, when the caller stored it
    # (the rollout engine does): a plane that cannot tell its own assignments apart otherwise reads it.
    assignment_id: str = ""


@dataclass(frozen=True)
class PlaneGroup:
    """A device group the plane lists for a picker: its id there, its display name, what a ring
    step's target_group takes for it (what the connector resolves), and its size when cheap to tell."""

    id: str
    name: str
    value: str
    member_count: int | None = None


@dataclass(frozen=True)
class IntentRef:
    intent_id: str
    name: str
    ring: str
    action: str = "install"  # install | uninstall
    # When Fleetgate first recorded the assignment (its pending idempotency record's creation), set
    # for a crash-recovery look-up: a plane object created before it cannot be this assignment's.
    requested_at: datetime | None = None


@dataclass(frozen=True)
class OperationResult:
    operation: str
    external_id: str
    status: str = "done"  # done | accepted (asynchronous on the plane)
    correlation: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceStatus:
    device_id: str
    device_name: str
    state: str  # installed | failed | pending | not_applicable | not_installed (an uninstall done)
    detail: str = ""  # for a failed device: its error code as `error_code()` renders it ("1603")
    site_class: str = ""  # online | intermittent | air_gapped when the plane tells it, else ""


@dataclass(frozen=True)
class DevicePage:
    number: int
    devices: tuple[DeviceStatus, ...]


STATES = ("installed", "failed", "pending", "not_applicable", "not_installed")
DONE_STATES = ("installed", "not_installed")  # the assignment's intent reached on the device


def error_code(value: Any, text: str = "") -> str:
    """A plane's numeric error as Fleetgate groups failures: a Win32 / exit code in decimal ("1603",
    also unwrapped from HRESULT_FROM_WIN32, 0x80070643), any other HRESULT as 0x%08X ("0x87D1041C"),
    ERROR_TIMEOUT (1460, 0x800705B4) or a text saying it timed out as "timeout"; "" when none."""
    if isinstance(value, str):
        value = value.strip()
        try:
            value = int(value, 16) if value.lower().startswith("0x") else int(value) if value else None
        except ValueError:
            return value
    if isinstance(value, int) and not isinstance(value, bool) and value != 0:
        unsigned = value & 0xFFFFFFFF
        if unsigned & 0xFFFF0000 == 0x80070000:
            unsigned &= 0xFFFF
        if unsigned == 1460:
            return "timeout"
        return str(unsigned) if unsigned <= 0xFFFF else f"0x{unsigned:08X}"
    return "timeout" if "timed out" in text.lower() else ""


@dataclass(frozen=True)
class ObserveResult:
    installed: int
    failed: int
    pending: int
    not_applicable: int
    pages_read: int
    detail_pages: tuple[DevicePage, ...] = ()  # the devices not done yet, capped (see Tally)
    not_installed: int = 0  # devices that report the app absent after an uninstall assignment
    action: str = "install"  # the intent of the assignment observed: install | uninstall

    @property
    def total(self) -> int:
        return self.installed + self.failed + self.pending + self.not_applicable + self.not_installed

    def as_dict(self) -> dict[str, Any]:
        return {
            "installed": self.installed,
            "failed": self.failed,
            "pending": self.pending,
            "not_applicable": self.not_applicable,
            "not_installed": self.not_installed,
            "action": self.action,
            "total": self.total,
            "pages_read": self.pages_read,
            "detail_pages": [
                {"number": p.number, "devices": [d.__dict__ for d in p.devices]} for p in self.detail_pages
            ],
        }


@dataclass(frozen=True)
class InventoryItem:
    external_id: str
    name: str
    version: str
    intent: str  # install | uninstall | available
    group: str
    deadline: str | None = None  # an install deadline set on the assignment, where the plane has one (Intune)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    plane: str
    api_version: str
    detail: str
    latency_ms: float


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: str
    sent: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "headers": dict(self.headers),
            "body": self.body,
            "sent": self.sent,
        }


class Tally:
    """Counts device states while paging; keeps at most `detail_cap` devices not done for detail."""

    def __init__(self, page_size: int = 100, detail_cap: int = 1000) -> None:
        self.counts = dict.fromkeys(STATES, 0)
        self.pages_read = 0
        self.page_size = page_size
        self.detail_cap = detail_cap
        self._detail: list[DeviceStatus] = []

    def add(self, device: DeviceStatus) -> None:
        self.counts[device.state] += 1
        if device.state not in DONE_STATES and len(self._detail) < self.detail_cap:
            self._detail.append(device)

    def result(self, action: str = "install") -> ObserveResult:
        size = self.page_size
        pages = tuple(
            DevicePage(number=i // size + 1, devices=tuple(self._detail[i : i + size]))
            for i in range(0, len(self._detail), size)
        )
        return ObserveResult(
            installed=self.counts["installed"],
            failed=self.counts["failed"],
            pending=self.counts["pending"],
            not_applicable=self.counts["not_applicable"],
            pages_read=self.pages_read,
            detail_pages=pages,
            not_installed=self.counts["not_installed"],
            action=action,
        )
