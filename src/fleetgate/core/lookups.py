"""Row lookups shared by services: lock-or-404 with a message that says what to do next."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models

from fleetgate.core.actors import Actor
from fleetgate.core.errors import Forbidden, NotFound

M = TypeVar("M", bound=models.Model)


def locked(model: type[M], pk: Any, label: str, *related: str) -> M:
    """SELECT ... FOR UPDATE one row; call inside transaction.atomic(). `related` foreign keys come in the
    same query (not one lazy query each later) and are not locked: only the row itself is (`of=self`)."""
    try:
        qs = model._default_manager.select_for_update(of=("self",) if related else ())
        return (qs.select_related(*related) if related else qs).get(pk=pk)
    except (model.DoesNotExist, ValueError, DjangoValidationError):  # type: ignore[attr-defined]
        raise NotFound(f"No {label} with id {pk}; list them to find the right id.") from None


def user_of(actor: Actor) -> Any:
    """The person behind an actor; services that record authorship need one."""
    return get_user_model().objects.get(pk=_person_pk(actor))


def user_reference(actor: Actor) -> Any:
    """`user_of` without reading the row: the user as the ORM loads one with only its id and username (the
    actor's name, its username for every person), for a foreign key and a name in the answer; any other
    field is read on first access. The foreign key's constraint refuses a user who does not exist."""
    model = get_user_model()
    return model.from_db(model.objects.db, ["id", model.USERNAME_FIELD], [_person_pk(actor), actor.name])


def _person_pk(actor: Actor) -> int:
    if actor.user_pk is None:
        raise Forbidden(f"{actor.name} is not a person; this action must be taken by a signed-in user.")
    return actor.user_pk
