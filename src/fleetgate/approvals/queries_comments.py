"""Reads of CAB discussion threads: a request's comments, and the people a comment may mention
(everyone active who may read the request: a mention must never tell someone about a change they
cannot see)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet

from fleetgate.approvals.models import CabComment, CabRequest
from fleetgate.core import permissions
from fleetgate.core.actors import Actor, RoleGrant
from fleetgate.core.roles import Role, Scope
from fleetgate.core.scoping import INTENT, scoped
from fleetgate.identity.models import RoleBinding

# @username where a username is Django's (letters, digits, @ . + - _), not ending in "." so a
# mention at the end of a sentence ("ask @sam.") names "sam"; "a@b" inside an address is no mention.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+-])")


def mentioned(body: str) -> list[str]:
    """The usernames a comment names, in the order first named, each once."""
    return list(dict.fromkeys(MENTION.findall(body)))


def comments(actor: Actor | None = None) -> QuerySet[CabComment]:
    qs = CabComment.objects.select_related("author", "request__intent")
    return scoped(actor, qs, INTENT.via("request__intent"))


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    roles: list[str]


def readers(request: CabRequest) -> dict[str, Person]:
    """Active people (no service accounts) whose roles let them read this request, by username.
    One query for every binding; the rule itself is core.permissions.can."""
    bindings = (
        RoleBinding.objects.filter(user__is_active=True, user__service_account__isnull=True)
        .select_related("user")
        .order_by("user__username", "role")
    )
    grants: dict[str, list[RoleGrant]] = defaultdict(list)
    users = {}
    for b in bindings:
        name = b.user.get_username()
        users[name] = b.user
        grants[name].append(RoleGrant(role=Role(b.role), scope=Scope(b.boundary, frozenset(b.business_units))))
    out = {}
    for name, held in grants.items():
        user = users[name]
        actor = Actor(kind="user", id=str(user.pk), name=name, grants=tuple(held), user_pk=user.pk)
        if permissions.can(actor, "cab.view", request.intent):
            full = user.get_full_name().strip()
            out[name] = Person(name, full or name, sorted({g.role.label for g in held}))
    return out
