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
    # The rollouts `fleetgate up --demo` shows moving: one artifact per platform, previous version included.
    {
        "name": "Google Chrome",
        "vendor": "Google",
        "category": "productivity",
        "platforms": ["windows", "macos"],
        "boundary": "acme",
        "business_units": ["*"],
        "versions": ["130.0.0", "131.0.0"],
        "every_platform": True,
    },
    {
        "name": "Notepad++",
        "vendor": "Notepad++ Team",
        "category": "utility",
        "platforms": ["windows"],
        "boundary": "acme",
        "business_units": ["*"],
        "versions": ["8.6.9", "8.7.0"],
    },
    {
        "name": "Slack",
        "vendor": "Salesforce",
        "category": "productivity",
        "platforms": ["macos"],
        "boundary": "acme",
        "business_units": ["*"],
        "versions": ["4.40.0", "4.41.0"],
    },
]

FORMATS = {"windows": "msi", "macos": "pkg", "linux": "deb"}
CAB_SUBMISSION = {
    "summary": "Falcon sensor 7.18 for sales laptops.",
    "justification": "Vendor end-of-support for 7.1x line; detection updates.",
    "impact": "Kernel extension reload; no reboot; 2 minutes of reduced protection.",
    "test_summary": "Lab: 10 devices, install/uninstall/rollback passed.",
    "backout_plan": "Supersede back to 7.16 through Intune; sensor keeps policy.",
}


# Demo rollouts, started by the engine's tick (ring_plan[0].not_before is the seeding time). Each ring
# has its own group in the simulated fleet (`demo_fleet`): sizes and success rates chosen so that one
# rollout goes Lab -> Canary -> Pilot, one fails at Pilot and rolls back, one waits for judgment on a
# Canary too small to decide (12 devices, under the count rule's min_sample of 30).
DEMO_ROLLOUTS: list[dict[str, Any]] = [
    {
        "name": "chrome-131-engineering",
        "app": "Google Chrome",
        "version": "131.0.0",
        "previous": "130.0.0",
        "bu": "engineering",
        "tag": "CHROME",
        "planes": {"intune": "WIN", "jamf": "MAC"},
        "rings": {"lab": 8, "canary": 40, "pilot": 200, "department": 600},
    },
    {
        "name": "notepadpp-8-7-finance",
        "app": "Notepad++",
        "version": "8.7.0",
        "previous": "8.6.9",
        "bu": "finance",
        "tag": "NPP",
        "planes": {"intune": ""},
        "rings": {"lab": 8, "canary": 40, "pilot": 150, "department": 600},
        "failing": {"pilot": 0.8},
        "uninstall": True,  # the fleet fails any install in that group, the previous version's too
    },
    {
        "name": "slack-4-41-sales",
        "app": "Slack",
        "version": "4.41.0",
        "previous": "4.40.0",
        "bu": "sales",
        "tag": "SLACK",
        "planes": {"jamf": ""},
        "rings": {"lab": 8, "canary": 12, "pilot": 200},
    },
]
FAILING_CODES = {"1603": 0.6, "0x87D1041C": 0.3, "timeout": 0.1}
# Which platforms and boundaries each simulated plane serves: one plane per platform per boundary.
DEMO_PLANES: dict[str, dict[str, list[str]]] = {
    "intune": {"platforms": ["windows", "android"], "boundaries": ["acme"]},
    "jamf": {"platforms": ["macos", "ios"], "boundaries": ["acme"]},
    "sccm": {"platforms": ["windows"], "boundaries": ["globex"]},
    "landscape": {"platforms": ["linux"], "boundaries": ["acme"]},
    "ansible": {"platforms": ["linux"], "boundaries": ["globex"]},
}


def _group(spec: dict[str, Any], ring: str, suffix: str) -> str:
    return f"FG-DEMO-{spec['tag']}-{ring.upper()}" + (f"-{suffix}" if suffix else "")


def _demo_plan(spec: dict[str, Any], not_before: str) -> list[dict[str, Any]]:
    plan = []
    for ring, devices in spec["rings"].items():
        groups = {kind: _group(spec, ring, suffix) for kind, suffix in spec["planes"].items()}
        step = {"ring": ring, "target_group": next(iter(groups.values())), "device_count": devices}
        if len(groups) > 1:
            step["target_groups"] = groups
        plan.append(step)
    plan[0]["not_before"] = not_before
    return plan


def demo_fleet() -> dict[str, dict[str, Any]]:
    """Ring groups of the simulated fleet for the demo rollouts (`POST /_sim/fleet/groups/<name>`)."""
    groups: dict[str, dict[str, Any]] = {}
    for spec in DEMO_ROLLOUTS:
        for ring, devices in spec["rings"].items():
            rate = spec.get("failing", {}).get(ring)
            for suffix in spec["planes"].values():
                options: dict[str, Any] = {"size": devices, "site_class": "online", "success_rate": rate or 1.0}
                if rate is not None:
                    options["error_codes"] = FAILING_CODES
                groups[_group(spec, ring, suffix)] = options
    return groups


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
    from fleetgate.core.actors import SYSTEM, service
    from fleetgate.identity import services as identity
    from fleetgate.identity.queries import from_user

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
        data = {k: v for k, v in spec.items() if k not in ("versions", "every_platform")}
        app = catalog.create_application(actor=admin, data=data)
        for version in spec["versions"]:
            row = catalog.create_version(
                actor=packager, application_id=app.pk, version=version, release_notes=f"{app.name} {version}"
            )
            for platform in spec["platforms"] if spec.get("every_platform") else spec["platforms"][:1]:
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
    from django.utils import timezone

    from fleetgate.approvals import services as approvals
    from fleetgate.evidence import demo
    from fleetgate.evidence import services as evidence
    from fleetgate.evidence.demo_documents import LOW_RISK
    from fleetgate.intents import services as intents
    from fleetgate.risk import services as risk

    key = demo.publisher_key(security)

    def ready(intent: Any, declared: dict[str, Any], findings: list[Any] | None = None) -> Any:
        """Real evidence through the services, a risk assessment, a CAB submission when needed, a seal."""
        artifacts = list(intent.version.artifacts.order_by("platform"))
        for artifact in artifacts:
            demo.attach(packager, artifact, key, findings)
        assessments = [
            risk.assess(actor=packager, intent_id=intent.pk, declared=declared, artifact_id=a.pk) for a in artifacts
        ]
        if any(a.cab_required for a in assessments):
            approvals.create_submission(actor=packager, intent_id=intent.pk, data=CAB_SUBMISSION)
        for artifact in artifacts:
            evidence.seal_pack(actor=packager, intent_id=intent.pk, artifact_id=artifact.pk)
        return artifacts[0]

    def make(
        actor: Any,
        name: str,
        app: str,
        version: str,
        bu: str,
        devices: list[int],
        boundary: str = "acme",
        previous: str | None = None,
        ring_plan: list[dict[str, Any]] | None = None,
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
                "ring_plan": ring_plan or _plan(devices),
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
    not_before = timezone.now().isoformat()
    for spec in DEMO_ROLLOUTS:  # approved; the engine's tick starts them on the simulated planes
        plan = _demo_plan(spec, not_before)
        previous = None if spec.get("uninstall") else spec["previous"]
        intent = make(
            publisher, spec["name"], spec["app"], spec["version"], spec["bu"], [], previous=previous, ring_plan=plan
        )
        ready(intent, LOW_RISK)
        approvals.submit(actor=publisher, intent_id=intent.pk)


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
    from fleetgate.identity.queries import from_user

    admin = from_user(get_user_model().objects.get(username="admin"))
    names = []
    for conn in connections:
        name = f"demo-{conn['kind']}"
        conn = {**conn, **DEMO_PLANES.get(conn["kind"], {})}
        existing = ConnectorInstance.objects.filter(name=name).first()
        if existing is None:
            connectors.create(actor=admin, data={**conn, "name": name})
        elif any(getattr(existing, k) != conn[k] for k in ("base_url", "settings", "platforms", "boundaries")):
            keys = ("base_url", "settings", "secrets", "platforms", "boundaries")
            changes = {k: conn[k] for k in keys if k in conn}
            connectors.update(actor=admin, connector_id=existing.pk, changes=changes, expected_etag=existing.etag)
        names.append(name)
    if connections:
        configure_demo_fleet(connections[0]["base_url"])
    return names


def configure_demo_fleet(base_url: str) -> None:
    """The simulators share one fleet: configuring a group on any plane configures it for all."""
    from urllib.parse import urlsplit

    import httpx

    root = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
    with httpx.Client(base_url=root, timeout=10) as http:
        for name, options in demo_fleet().items():
            http.post(f"/_sim/fleet/groups/{name}", json=options).raise_for_status()
