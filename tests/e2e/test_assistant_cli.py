"""`fleetgate assist` over real HTTP answers as the token's user: a subject in their scope is explained, one
outside it is "not found", exactly as the record's own detail answers them."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from fleetgate.cli.main import app
from tests.domain.test_assistant_scope import two_units
from tests.factories import World, make_token

pytestmark = pytest.mark.django_db(transaction=True)
runner = CliRunner()


def run(*args: str, server: Any, token: str) -> Any:
    return runner.invoke(app, ["assist", *args, "--server", server.url, "--token", token], catch_exceptions=False)


def test_assist_is_scoped_like_the_tokens_user(live_server: Any) -> None:
    t = two_units(World.build())
    fin, eng = t.finance, t.engineering
    engineer, outsider = make_token(t.engineer_user), make_token(t.outsider_user)
    mine = run("summarise-evidence", eng.intent.name, "--pack", str(eng.pack.pk), server=live_server, token=engineer)
    assert mine.exit_code == 0, mine.output
    assert f"[evidence_pack:{eng.pack.pk}]" in mine.output
    for token in (engineer, outsider):
        pack = run("summarise-evidence", "x", "--pack", str(fin.pack.pk), server=live_server, token=token)
        assert (pack.exit_code, "not-found" in pack.output) == (1, True), pack.output
        note = run("draft-cab-note", str(fin.intent.pk), server=live_server, token=token)
        assert (note.exit_code, "not-found" in note.output) == (1, True), note.output
        assert fin.intent.name not in note.output
