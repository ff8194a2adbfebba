"""A lifecycle is a transition table: (state, action) -> next state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from fleetgate.core.errors import InvalidTransition

S = TypeVar("S")
A = TypeVar("A")


def next_state(table: Mapping[tuple[S, A], S], state: S, action: A) -> S:
    try:
        return table[(state, action)]
    except KeyError:
        allowed = sorted(str(a) for (s, a) in table if s == state)
        raise InvalidTransition(
            f"Cannot {action} from state '{state}'. Allowed from here: {', '.join(allowed) or 'nothing'}.",
            state=str(state),
            action=str(action),
            allowed_actions=allowed,
        ) from None


def allowed_actions(table: Mapping[tuple[S, A], S], state: S) -> list[str]:
    return sorted(str(a) for (s, a) in table if s == state)
