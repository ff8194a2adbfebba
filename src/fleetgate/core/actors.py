"""Who does a thing: people, service identities and the assistant are all actors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fleetgate.core.roles import Role, Scope


@dataclass(frozen=True)
class RoleGrant:
    role: Role
    scope: Scope
    granted_at: datetime | None = field(default=None, compare=False)  # None: not known (non-human actors)


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" | "service" | "assistant"
    id: str
    name: str
    grants: tuple[RoleGrant, ...] = ()
    rights: frozenset[str] = field(default_factory=frozenset)  # fixed rights of non-human actors
    user_pk: int | None = None

    @property
    def roles(self) -> list[str]:
        return sorted({g.role.value for g in self.grants})

    def has_role(self, *roles: Role) -> bool:
        return any(g.role in roles for g in self.grants)

    def ledger_view(self) -> dict[str, object]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "roles": self.roles}


def service(name: str, rights: frozenset[str]) -> Actor:
    return Actor(kind="service", id=f"service:{name}", name=name, rights=rights)


SYSTEM = service("system", frozenset({"ledger.checkpoint", "seed.demo"}))
SCHEDULER = service("scheduler", frozenset({"ledger.checkpoint"}))
ASSISTANT = Actor(kind="assistant", id="assistant", name="assistant", rights=frozenset())
