"""Demo data, written through the same services a person would use."""

from __future__ import annotations

import io
import json
import secrets
from pathlib import Path
from typing import Any

from fleetgate.config import settings as cfg

CREDENTIALS_FILE = "demo-credentials.json"

DEMO_USERS: list[tuple[str, list[dict[str, Any]]]] = [
    ("admin", [{"role": "platform_admin", "boundary": "*", "business_units": ["*"]}]),
    ("packager", [{"role": "packaging_engineer", "boundary": "*", "business_units": ["*"]}]),
    ("publisher", [{"role": "publisher", "boundary": "acme", "business_units": ["finance", "engineering", "sales"]}]),
    ("globex-publisher", [{"role": "publisher", "boundary": "globex", "business_units": ["*"]}]),
    ("cab", [{"role": "cab_approver", "boundary": "*", "business_units": ["*"]}]),
    ("security", [{"role": "security_reviewer", "boundary": "*", "business_units": ["*"]}]),
    ("ops", [{"role": "endpoint_ops", "boundary": "acme", "business_units": ["*"]}]),
    ("auditor", [{"role": "auditor", "boundary": "*", "business_units": ["*"]}]),
]

DEMO_APPS: list[dict[str, Any]] = [
    {
        "name": "Mozilla Firefox ESR",
        "vendor": "Mozilla",
        "category": "productivity",
        "platforms": ["windows", "macos", "linux"],
        "boundary": "acme",
        "business_units": ["*"],
        "versions": ["128.5.0", "128.6.0"],
    },
    {
        "name": "Zoom Workplace",
        "vendor": "Zoom",
        "category": "productivity",
        "platforms": ["windows", "macos"],
        "boundary": "acme",
        "business_units": ["*"],
        "versions": ["6.2.11"],
    },
    {
        "name": "7-Zip",
        "vendor": "Igor Pavlov",
        "category": "utility",
        "platforms": ["windows"],
        "boundary": "acme",
        "business_units": ["finance", "engineering"],
        "versions": ["24.8.0", "24.9.0"],
    },
    {
        "name": "CrowdStrike Falcon Sensor",
        "vendor": "CrowdStrike",
        "category": "security",
        "platforms": ["windows", "macos", "linux"],
        "boundary": "acme",
        "business_units": ["*"],
        "privileged_tooling": True,
        "support_tier": "tier1",
        "versions": ["7.18.0"],
    },
    {
        "name": "SAP GUI",
        "vendor": "SAP",
        "category": "business",
        "platforms": ["windows"],
        "boundary": "acme",
        "business_units": ["finance"],
        "support_tier": "tier1",
        "versions": ["8.0.11"],
    },
    {
        "name": "Visual Studio Code",
        "vendor": "Microsoft",
        "category": "developer",
        "platforms": ["windows", "macos", "linux"],
        "boundary": "globex",
        "business_units": ["*"],
        "versions": ["1.95.3"],
    },
]

FORMATS = {"windows": "msi", "macos": "pkg", "linux": "deb"}
LOW_RISK = {
    "privilege_impact": {"option": "user_context", "justification": "Runs as the signed-in user."},
    "exploitability": {"option": "no_listener_no_scripting", "justification": "No listener, no scripting."},
    "data_access": {"option": "own_data_directory", "justification": "Writes only its own folder."},
    "operational_complexity": {"option": "online_no_reboot_under_5_min", "justification": "Two minutes, no reboot."},
}
CAB_SUBMISSION = {
    "summary": "Falcon sensor 7.18 for sales laptops.",
    "justification": "Vendor end-of-support for 7.1x line; detection updates.",
    "impact": "Kernel extension reload; no reboot; 2 minutes of reduced protection.",
    "test_summary": "Lab: 10 devices, install/uninstall/rollback passed.",
    "backout_plan": "Supersede back to 7.16 through Intune; sensor keeps policy.",
}


def _plan(devices: list[int]) -> list[dict[str, Any]]:
    rings = ["lab", "canary", "pilot", "department", "global"]
    return [
        {"ring": r, "target_group": f"FG-{r.upper()}", "device_count": n} for r, n in zip(rings, devices, strict=False)
    ]


def seed(password_for: dict[str, str] | None = None) -> dict[str, str] | None:
    """Idempotent: returns the new credentials, or None when demo data exists already."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    if get_user_model().objects.filter(username="admin").exists():
        return None
    from fleetgate.core import services as identity
    from fleetgate.core.actors import SYSTEM, from_user, service

    bootstrap = service("demo-seed", SYSTEM.rights | {"user.manage"})
    creds: dict[str, str] = {}
    with transaction.atomic():
        users = {}
        for username, roles in DEMO_USERS:
            creds[username] = (password_for or {}).get(username) or secrets.token_urlsafe(12)
            users[username] = identity.create_user(
                actor=bootstrap,
                username=username,
                password=creds[username],
                email=f"{username}@example.com",
                roles=roles,
            )
        packager, publisher = from_user(users["packager"]), from_user(users["publisher"])
        apps = _seed_catalog(from_user(users["admin"]), packager, from_user(users["globex-publisher"]))
        _seed_intents(publisher, from_user(users["globex-publisher"]), apps, packager, from_user(users["security"]))
    return creds


def _seed_catalog(admin: Any, packager: Any, globex: Any) -> dict[str, Any]:
    from fleetgate.catalog import services as catalog
    from fleetgate.catalog.store import store_stream

    apps = {}
    for spec in DEMO_APPS:
        data = {k: v for k, v in spec.items() if k != "versions"}
        app = catalog.create_application(actor=admin, data=data)
        for version in spec["versions"]:
            row = catalog.create_version(
                actor=packager, application_id=app.pk, version=version, release_notes=f"{app.name} {version}"
            )
            platform = spec["platforms"][0]
            blob = f"{app.name} {version} {platform} demo payload".encode() * 64
            catalog.register_artifact(
                actor=packager,
                version_id=row.pk,
                platform=platform,
                artifact_format=FORMATS[platform],
                filename=f"{app.name.lower().replace(' ', '-')}-{version}.{FORMATS[platform]}",
                upload=store_stream(io.BytesIO(blob), cfg.max_upload_bytes),
            )
        apps[app.name] = app
    return apps


def _seed_intents(publisher: Any, globex: Any, apps: dict[str, Any], packager: Any, security: Any) -> None:
    from fleetgate.approvals import services as approvals
    from fleetgate.evidence import demo
    from fleetgate.evidence import services as evidence
    from fleetgate.intents import services as intents
    from fleetgate.risk import services as risk

    key = demo.publisher_key(security)

    def ready(intent: Any, declared: dict[str, Any], findings: list[Any] | None = None) -> Any:
        """Real evidence through the services, a risk assessment, a CAB submission when needed, a seal."""
        artifact = intent.version.artifacts.get()
        demo.attach(packager, artifact, key, findings)
        assessment = risk.assess(actor=packager, intent_id=intent.pk, declared=declared)
        if assessment.cab_required:
            approvals.create_submission(actor=packager, intent_id=intent.pk, data=CAB_SUBMISSION)
        evidence.seal_pack(actor=packager, intent_id=intent.pk, artifact_id=artifact.pk)
        return artifact

    def make(
        actor: Any,
        name: str,
        app: str,
        version: str,
        bu: str,
        devices: list[int],
        boundary: str = "acme",
        previous: str | None = None,
    ) -> Any:
        rollback = (
            {"strategy": "reinstall_previous", "rollback_version": previous} if previous else {"strategy": "uninstall"}
        )
        return intents.create(
            actor=actor,
            data={
                "name": name,
                "title": f"{app} {version} to {bu}",
                "application": apps[app].pk,
                "version": version,
                "target_boundary": boundary,
                "target_business_unit": bu,
                "target_site_classes": ["online", "intermittent"],
                "ring_plan": _plan(devices),
                "change_reason": "Quarterly update with security fixes",
                "rollback_plan": rollback,
            },
        )

    make(
        publisher,
        "firefox-128-6-finance",
        "Mozilla Firefox ESR",
        "128.6.0",
        "finance",
        [8, 80, 600, 4000, 12000],
        previous="128.5.0",
    )
    submitted = make(
        publisher, "7zip-24-9-engineering", "7-Zip", "24.9.0", "engineering", [5, 60, 400], previous="24.8.0"
    )
    ready(submitted, LOW_RISK)
    approvals.submit(actor=publisher, intent_id=submitted.pk)  # approved: cab_not_required, with the assessment
    falcon = make(publisher, "falcon-7-18-sales", "CrowdStrike Falcon Sensor", "7.18.0", "sales", [10, 100, 900, 9000])
    ready(falcon, LOW_RISK)  # privileged tooling: CAB whatever the score
    approvals.submit(actor=publisher, intent_id=falcon.pk)  # awaiting_cab, with an open CAB request
    cancelled = make(publisher, "zoom-6-2-sales", "Zoom Workplace", "6.2.11", "sales", [6, 50])
    intents.cancel(actor=publisher, intent_id=cancelled.pk, reason="Vendor pulled the release")
    make(globex, "vscode-1-95-globex", "Visual Studio Code", "1.95.3", "engineering", [5, 40, 300], boundary="globex")
    firefox = apps["Mozilla Firefox ESR"].versions.get(version="128.6.0").artifacts.get()
    demo.attach(packager, firefox, key, [("CVE-2026-31337", 8.1, "HIGH")])
    approvals.request_exception(
        actor=packager,
        data={
            "kind": "vulnerability",
            "artifact": firefox.pk,
            "subject": "CVE-2026-31337",
            "justification": "Only reachable with the legacy PDF plugin, which finance does not deploy.",
            "compensating_controls": "Plugin blocked by policy FF-PDF-01; EDR rule for the exploit chain.",
            "owner": "publisher",
            "expires_in_days": 30,
        },
    )  # pending: a Security Reviewer decides


def save_credentials(creds: dict[str, str]) -> Path:
    path = cfg.data_dir / CREDENTIALS_FILE
    path.write_text(json.dumps(creds, indent=2))
    path.chmod(0o600)
    return path


def load_credentials() -> dict[str, str]:
    path = cfg.data_dir / CREDENTIALS_FILE
    return dict(json.loads(path.read_text())) if path.exists() else {}


def seed_connectors(connections: list[dict[str, Any]]) -> list[str]:
    """One connector instance per simulated plane (`fleetgate up --demo`); updated when the URL changed."""
    from django.contrib.auth import get_user_model

    from fleetgate.connectors import services as connectors
    from fleetgate.connectors.models import ConnectorInstance
    from fleetgate.core.actors import from_user

    admin = from_user(get_user_model().objects.get(username="admin"))
    names = []
    for conn in connections:
        name = f"demo-{conn['kind']}"
        existing = ConnectorInstance.objects.filter(name=name).first()
        if existing is None:
            connectors.create(actor=admin, data={**conn, "name": name})
        elif existing.base_url != conn["base_url"] or existing.settings != conn["settings"]:
            changes = {k: conn[k] for k in ("base_url", "settings", "secrets")}
            connectors.update(actor=admin, connector_id=existing.pk, changes=changes, expected_etag=existing.etag)
        names.append(name)
    return names
