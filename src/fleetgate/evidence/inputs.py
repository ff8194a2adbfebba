"""Inputs evidence decisions take from domains that sit elsewhere, as small protocols.

- Approved exceptions (vulnerability / unsigned_package) and CAB submissions arrive with the
  approvals issue; until then the production sources return what exists: nothing. So today any
  Critical/High finding or unverified signature blocks sealing, and a pack whose risk requires
  CAB reports the missing CAB submission.
- The risk assessment of an intent comes from `risk`, which registers its source at start-up
  (risk depends on evidence, never the other way round).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID


@dataclass(frozen=True)
class ApprovedException:
    """An approved exception. kind: 'vulnerability' (subject = the finding id) or 'unsigned_package'."""

    id: str
    kind: str
    subject: str
    expires_at: datetime
    approved_by: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "subject": self.subject,
            "expires_at": self.expires_at.isoformat(),
            "approved_by": self.approved_by,
        }


@dataclass(frozen=True)
class ExceptionSet:
    """The exceptions in force at `at`: expired ones are dropped here, so nothing downstream can miss it."""

    items: tuple[ApprovedException, ...] = ()

    @classmethod
    def in_force(cls, exceptions: Iterable[ApprovedException], at: datetime) -> ExceptionSet:
        return cls(tuple(sorted((e for e in exceptions if e.expires_at > at), key=lambda e: (e.kind, e.subject, e.id))))

    def covers_finding(self, finding_id: str) -> bool:
        return any(e.kind == "vulnerability" and e.subject == finding_id for e in self.items)

    @property
    def unsigned_package(self) -> bool:
        return any(e.kind == "unsigned_package" for e in self.items)

    def as_list(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.items]


class ExceptionSource(Protocol):
    def __call__(self, *, artifact_sha256: str, intent_id: UUID | None) -> list[ApprovedException]: ...


class CabSource(Protocol):
    def __call__(self, *, intent_id: UUID) -> bool: ...


class RiskSource(Protocol):
    def __call__(self, *, intent_id: UUID) -> dict[str, Any] | None: ...


def no_exceptions(*, artifact_sha256: str, intent_id: UUID | None) -> list[ApprovedException]:
    """Production source until approvals exist: there are no approved exceptions."""
    return []


def no_cab_submission(*, intent_id: UUID) -> bool:
    """Production source until approvals exist: no CAB submission is ever present."""
    return False


def no_risk(*, intent_id: UUID) -> dict[str, Any] | None:
    return None


@dataclass
class Sources:
    exceptions: ExceptionSource = no_exceptions
    cab_submission: CabSource = no_cab_submission
    risk: RiskSource = no_risk


SOURCES = Sources()


def register(**sources: Callable[..., Any]) -> None:
    """Called from an AppConfig.ready(); e.g. register(risk=risk.queries.pack_snapshot)."""
    for name, source in sources.items():
        if not hasattr(SOURCES, name):
            raise AttributeError(f"unknown evidence input '{name}'")
        setattr(SOURCES, name, source)


def exceptions_for(artifact_sha256: str, intent_id: UUID | None, at: datetime) -> ExceptionSet:
    return ExceptionSet.in_force(SOURCES.exceptions(artifact_sha256=artifact_sha256, intent_id=intent_id), at)
