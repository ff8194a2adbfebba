"""Queries compiled once (core.prepared) read what their queryset reads, and the bearer-token lookup
built on one gives the same token, user and actor as the ORM reads they replace."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fleetgate.core.prepared import PreparedQuery
from fleetgate.core.roles import Role
from fleetgate.identity import queries
from fleetgate.identity.models import ApiToken, RoleBinding
from tests.factories import make_token, make_user

pytestmark = pytest.mark.django_db

BINDINGS = PreparedQuery(
    lambda username: (
        RoleBinding.objects.filter(user__username=username)
        .order_by("role")
        .values_list("role", "business_units", "created_at", "user__date_joined")
    ),
    "username",
)


def test_rows_are_what_the_queryset_reads_json_and_aware_datetimes_included() -> None:
    user = make_user(Role.PUBLISHER, business_units=["finance", "hr"])
    RoleBinding.objects.create(user=user, role=Role.AUDITOR, boundary="*", business_units=["*"])
    expected = list(
        RoleBinding.objects.filter(user__username=user.username)
        .order_by("role")
        .values_list("role", "business_units", "created_at", "user__date_joined")
    )
    rows = BINDINGS.rows(username=user.username)
    assert rows == expected
    assert isinstance(rows[0][1], list)  # JSON decoded as the field decodes it
    assert rows[0][2].tzinfo is not None  # aware on SQLite too, as the ORM's converters make it


def test_each_run_takes_its_own_values_from_the_compiled_statement() -> None:
    first, second = make_user(Role.PUBLISHER), make_user(Role.AUDITOR)
    assert [r[0] for r in BINDINGS.rows(username=first.username)] == [Role.PUBLISHER]
    assert [r[0] for r in BINDINGS.rows(username=second.username)] == [Role.AUDITOR]
    assert BINDINGS.rows(username="nobody-at-all") == []


def test_a_placeholder_a_lookup_rewrites_is_refused_when_compiled() -> None:
    rewritten = PreparedQuery(
        lambda q: RoleBinding.objects.filter(boundary__icontains=q).values_list("role"),
        "q",
    )
    with pytest.raises(ValueError, match="placeholders \\['q'\\]"):
        rewritten.rows(q="acme")


def test_a_run_must_give_exactly_the_declared_values() -> None:
    with pytest.raises(TypeError, match="username"):
        BINDINGS.rows(user="x")


def test_the_bearer_lookup_is_one_query_with_the_users_grants() -> None:
    user = make_user(Role.PUBLISHER, business_units=["finance"])
    RoleBinding.objects.create(user=user, role=Role.AUDITOR, boundary="*", business_units=["*"])
    key_id = make_token(user).split("_")[1]
    with CaptureQueriesContext(connection) as ctx:
        found = queries.bearer(key_id)
    assert len(ctx.captured_queries) == 1
    assert found is not None
    token, actor = found
    assert actor == queries.from_user(user)
    assert [g.granted_at for g in actor.grants] == [g.granted_at for g in queries.from_user(user).grants]
    stored = ApiToken.objects.get(key_id=key_id)
    assert (token.pk, token.user_id, token.secret_hash, token.expires_at) == (
        stored.pk,
        stored.user_id,
        stored.secret_hash,
        stored.expires_at,
    )
    assert token.user.username == user.username
    assert token.user.is_active


def test_the_users_other_columns_are_read_from_the_database_not_defaulted() -> None:
    user = make_user(Role.PUBLISHER)
    type(user).objects.filter(pk=user.pk).update(email="pub@example.test", first_name="Pat")
    token, _ = queries.bearer(make_token(user).split("_")[1]) or (None, None)
    assert token is not None
    assert token.user.email == "pub@example.test"  # deferred, loaded on access
    token.user.first_name = "Kim"
    token.user.save(update_fields=["first_name"])
    assert type(user).objects.get(pk=user.pk).email == "pub@example.test"


def test_a_user_without_roles_acts_with_no_grants_and_an_unknown_key_is_none() -> None:
    user = make_user(None)
    found = queries.bearer(make_token(user).split("_")[1])
    assert found is not None
    assert found[1].grants == ()
    assert queries.bearer("0" * 16) is None


def test_revocation_and_expiry_are_read_fresh_on_every_lookup() -> None:
    user = make_user(Role.PUBLISHER)
    key_id = make_token(user).split("_")[1]
    ApiToken.objects.filter(key_id=key_id).update(revoked_at=timezone.now())
    found = queries.bearer(key_id)
    assert found is not None
    assert found[0].revoked_at is not None
    later = timezone.now() + timedelta(days=400)
    ApiToken.objects.filter(key_id=key_id).update(expires_at=later)
    found = queries.bearer(key_id)
    assert found is not None
    assert found[0].expires_at == later
