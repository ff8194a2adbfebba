"""Central → site → central with two installations on one machine: this test's database is the central
Fleetgate; the site is a second installation (its own data dir and database) driven through the
`fleetgate` CLI in subprocesses. Each installation's plane is a simulator on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from typer.testing import CliRunner

from fleetgate.cli.main import app
from fleetgate.core.roles import Role
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts.models import GateResult, Rollout
from fleetgate.sites.models import BundleImport, SiteRingResult
from fleetgate.sites.services import registry
from fleetgate.sites.services.common import public_key_pem
from fleetsim.planes import connection as sim_connection
from tests.domain.rollout_kit import Driver, approve, connect, groups_of, plan, seal, simulator
from tests.factories import World, events_of, make_token

pytestmark = pytest.mark.slow
R = Role
ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def site_database() -> Iterator[str]:
    """The site's own database: a SQLite file in its data dir, or a fresh PostgreSQL database."""
    if connection.vendor != "postgresql":
        yield ""
        return
    import psycopg

    base = os.environ["FLEETGATE_DATABASE_URL"].rsplit("/", 1)[0]
    name = f"fleetgate_site_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Site:
    """The site's Fleetgate: every command a subprocess with its own FLEETGATE_DATA_DIR and database."""

    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETGATE_")}
        self.env |= {
            "FLEETGATE_DATA_DIR": str(data_dir),
            "FLEETGATE_DATABASE_URL": database_url,
            "FLEETGATE_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "fleetgate.settings",
        }
        self.tokens: dict[str, str] = {}

    def run(self, *args: str, token: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "FLEETGATE_TOKEN": self.tokens.get(token, "")}
        done = subprocess.run(
            [sys.executable, "-m", "fleetgate.cli.main", *args], env=env, cwd=ROOT, capture_output=True, text=True
        )
        if check:
            assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
        return done

    def bootstrap(self, connector: dict[str, Any]) -> None:
        self.run("migrate")
        for user, role in (
            ("siteadmin", "platform_admin"),
            ("sitesec", "security_reviewer"),
            ("siteops", "endpoint_ops"),
        ):
            self.run("user", "create", user, "--role", role)
            self.tokens[user] = (
                self.run("token", "create", "--user", user, "--name", "t").stdout.strip().splitlines()[-1]
            )
        setup = [sys.executable, "-m", "tests.e2e.site_setup", "siteadmin", json.dumps(connector)]
        made = subprocess.run(setup, env=self.env, cwd=ROOT, capture_output=True, text=True)
        assert made.returncode == 0, made.stderr


def test_central_to_site_and_back_feeds_the_rings_gate(world: World, tmp_path: Path, site_database: str) -> None:
    ring_plan = plan("lab")
    frozen = clocks.FrozenClock()
    with (
        clocks.using(frozen),
        simulator("landscape", groups_of(ring_plan)) as central_plane,
        simulator("landscape", {"FG-LAB": 5}) as site_plane,
    ):
        # central: an approved change for online and air-gapped sites, rolling out on its own plane
        connect(world, central_plane)
        sealed = seal(world, platforms=("linux",), ring_plan=ring_plan, target_site_classes=["online", "air_gapped"])
        intent = approve(world, sealed)
        drive = Driver(intent, frozen, central_plane)
        drive.start(world.publisher)

        # the site's installation, its plane and its bundle key; central registers the site with that key
        site = Site(tmp_path / "site", site_database)
        site.bootstrap({**sim_connection(site_plane.app), "name": "site-plane"})
        site.run("bundle", "key", "-o", str(tmp_path / "site.pem"))
        (tmp_path / "central.pem").write_text(public_key_pem())
        data = {
            "name": "vault-north",
            "site_class": "air_gapped",
            "boundary": "acme",
            "plane": "landscape",
            "connector_name": "site-plane",
            "time_zone": "Europe/Berlin",
        }
        registry.create_site(
            actor=world.actors[R.PLATFORM_ADMIN], data={**data, "public_key_pem": (tmp_path / "site.pem").read_text()}
        )
        bundle = tmp_path / "bundle.tar"
        exported = runner.invoke(
            app,
            ["bundle", "export", intent.name, "--site", "vault-north", "-o", str(bundle)],
            env={"FLEETGATE_TOKEN": make_token(world.users[R.PUBLISHER])},
            catch_exceptions=False,
        )
        assert exported.exit_code == 0, exported.output

        # the site: verify with no database, refuse an untrusted bundle, trust central, import, deploy, observe
        offline = site.run("bundle", "verify", str(bundle), "--trust", str(tmp_path / "central.pem"))
        assert "Bundle verified" in offline.stdout
        site.run(
            "site",
            "add",
            "vault-north",
            "--class",
            "air_gapped",
            "--boundary",
            "acme",
            "--plane",
            "landscape",
            "--connector",
            "site-plane",
            "--public-key",
            str(tmp_path / "site.pem"),
            token="siteadmin",
        )
        untrusted = site.run("bundle", "import", str(bundle), token="siteops", check=False)
        assert untrusted.returncode == 1
        assert "manifest-signature" in untrusted.stderr
        assert "not trusted" in untrusted.stderr
        site.run("bundle", "trust", "add", "central", "--public-key", str(tmp_path / "central.pem"), token="sitesec")
        imported = site.run("bundle", "import", str(bundle), token="siteops")
        assert f"Imported intent {intent.name} (approved)" in imported.stdout
        again = site.run("bundle", "import", str(bundle), token="siteops", check=False)
        assert again.returncode == 1
        assert "imported already" in again.stderr
        site.run("bundle", "deploy", intent.name, "--ring", "lab", token="siteops")
        site_plane.app.advance(25 * 3600)
        results = tmp_path / "results.tar"
        exported_results = site.run(
            "bundle", "results-export", "--intent", intent.name, "-o", str(results), token="siteops"
        )
        assert "lab: 5 installed, 0 failed, 0 pending" in exported_results.stdout
        assert "Ledger intact" in site.run("audit", "verify").stdout

        # central: the results verify against the site's key, and the lab gate counts them
        results_imported = runner.invoke(
            app,
            ["bundle", "results-import", str(results)],
            env={"FLEETGATE_TOKEN": make_token(world.users[R.ENDPOINT_OPS])},
            catch_exceptions=False,
        )
        assert results_imported.exit_code == 0, results_imported.output
        assert SiteRingResult.objects.get(ring="lab").installed == 5
        assert BundleImport.objects.get().kind == "results"
        assert {"bundle.exported", "rollout.site_results_recorded", "bundle.results_imported"} <= set(
            events_of(intent.pk)
        )
        drive.wait(25)
        rollout = drive.advance()
        gate = GateResult.objects.get(ring_run=drive.ring("lab"), gate="success_rate")
        assert gate.inputs["n"] == 8 + 5, gate.inputs
        assert rollout.status == Rollout.Status.COMPLETED, rollout.status_detail

        twice = runner.invoke(
            app,
            ["bundle", "results-import", str(results)],
            env={"FLEETGATE_TOKEN": make_token(world.users[R.ENDPOINT_OPS])},
        )
        assert twice.exit_code == 1
        assert "imported already" in twice.output
