"""`bundle import` at a site: verify the bundle against the keys this installation trusts, record the
import in this installation's ledger, and make the intent available to the site's own plane.

The imported intent is a *replica* of the central change, not a change made here: `make_available`
registers the application, version and artifacts (bytes copied into this store and re-hashed), the ring
policy version, the sealed packs verbatim, and the intent itself in the state central approved it in,
with this installation's importing person as the local author of each row. What differs from a local
intent: no risk assessment, CAB request or exception rows exist here — the central decisions travel as
the signed approval record kept on the import (`BundleImport.approval_record`) — so the local rollout
engine does not run it; `local.deploy_ring` deploys it ring by ring on the site's connector within
what the record allows, and the results go back to central's gates in a signed results bundle.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.catalog.models import Application, ApplicationVersion, Artifact
from fleetgate.catalog.store import store_stream
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict
from fleetgate.core.lookups import user_of
from fleetgate.core.roles import Scope
from fleetgate.evidence import safejson
from fleetgate.evidence.models import EvidencePack
from fleetgate.intents import policy
from fleetgate.intents.models import DeploymentIntent, RingPolicy
from fleetgate.intents.states import State
from fleetgate.sites import bundlefile as bf
from fleetgate.sites import queries, verify
from fleetgate.sites.models import BundleImport, BundleKind
from fleetgate.sites.services.common import BundleRefused, refuse, site_named

MAX_ARTIFACT = 1 << 40


def import_bundle(
    *,
    actor: Actor,
    path: Path,
    trust: list[str] | None = None,
    now: datetime | None = None,
    progress: bf.Progress | None = None,
) -> BundleImport:
    """Verify (every check), then register. `trust`: extra PEM keys given on the command line."""
    report = verify.verify(path, queries.trusted_pems() + list(trust or []), now=now, kind="intent", progress=progress)
    manifest = report.manifest
    site = None
    if report.ok:
        site = site_named(manifest["site"]["name"])
        report.add("site", True, f"Bundle is for site {site.name}, registered here.")
    if not report.ok:
        raise refuse(actor, report, "intent", path.name)
    assert site is not None
    intent_data = manifest["intent"]
    target = Scope(intent_data["target"]["boundary"], frozenset(intent_data["target"]["business_units"]))
    permissions.require(actor, "bundle.import", target)
    if site.boundary != target.boundary:
        raise BundleRefused(
            f"Site {site.name} is in boundary {site.boundary} here, the bundle targets {target.boundary}.", check="site"
        )
    with bf.open_bundle(path) as bundle, transaction.atomic():
        if BundleImport.objects.filter(kind=BundleKind.INTENT, bundle_id=manifest["bundle_id"]).exists():
            raise Conflict(f"Bundle {manifest['bundle_id']} was imported already.")
        record = bundle.json("approvals.json")
        intent = make_available(actor=actor, bundle=bundle, manifest=manifest)
        row = BundleImport.objects.create(
            kind=BundleKind.INTENT,
            bundle_id=manifest["bundle_id"],
            intent=intent,
            site=site,
            manifest_sha256=report.manifest_sha256,
            signer_key_id=report.key_id,
            checks=[c.as_dict() for c in report.checks],
            approval_record=record,
            imported_by=user_of(actor),
        )
        audit.record(
            actor=actor,
            action="bundle.imported",
            subject_type="intent",
            subject_id=intent.pk,
            after={**row.snapshot(), "checks": [c.name for c in report.checks], "state": intent.state},
        )
    return row


def make_available(*, actor: Actor, bundle: bf.Opened, manifest: dict[str, Any]) -> DeploymentIntent:
    """Register the replica rows (see the module docstring); the caller holds the transaction."""
    user = user_of(actor)
    data = manifest["intent"]
    if (
        DeploymentIntent.objects.filter(pk=data["id"]).exists()
        or DeploymentIntent.objects.filter(name=data["name"]).exists()
    ):
        raise Conflict(f"Intent {data['name']} exists here already; a newer bundle supersedes it only once it ends.")
    app_data = data["application_snapshot"]
    app, _ = Application.objects.get_or_create(name=app_data["name"], defaults=app_data)
    version, _ = ApplicationVersion.objects.get_or_create(
        application=app, version=data["version"], defaults={"created_by": user}
    )
    artifacts = {a["id"]: _artifact(bundle, a, version, user) for a in manifest["artifacts"]}
    ring_policy = _ring_policy(bundle, manifest["versions"]["ring_policy"])
    intent = DeploymentIntent.objects.create(
        id=data["id"],
        name=data["name"],
        title=data["title"],
        change_reason=data["change_reason"],
        application=app,
        version=version,
        target_boundary=data["target"]["boundary"],
        target_business_unit=data["target"]["business_units"][0],
        target_site_classes=data["target"]["site_classes"],
        ring_plan=data["ring_plan"],
        rollback_plan=data["rollback_plan"],
        ring_policy=ring_policy,
        state=State.APPROVED,  # approved here; it starts when its first ring is deployed on the site
        publisher=user,
        submitted_at=data.get("submitted_at"),
    )
    for pack in manifest["packs"]:
        text = bundle.read(pack["path"]).decode()
        body = safejson.loads(text, max_depth=80)["body"]
        EvidencePack.objects.create(
            id=pack["id"],
            intent=intent,
            artifact=artifacts[pack["artifact"]],
            version=pack["version"],
            sha256=pack["sha256"],
            key_id=safejson.loads(text, max_depth=80)["seal"]["key_id"],
            sealed_json=text,
            sealed_by=user,
            sealed_at=datetime.fromisoformat(body["sealed_at"]),
        )
    audit.record(
        actor=actor,
        action="intent.imported",
        subject_type="intent",
        subject_id=intent.pk,
        after={
            **intent.snapshot(),
            "bundle": manifest["bundle_id"],
            "central_state": data["state"],
            "central_key": manifest["keys"]["bundle"],
        },
    )
    return intent


def _artifact(bundle: bf.Opened, entry: dict[str, Any], version: ApplicationVersion, user: Any) -> Artifact:
    upload = store_stream(bundle.stream(entry["path"]), MAX_ARTIFACT)
    if upload.hexdigest != entry["sha256"]:
        upload.discard()
        raise BundleRefused(f"{entry['path']} changed while it was imported.", check="artifact-digest")
    existing = Artifact.objects.filter(version=version, sha256=entry["sha256"]).first()
    if existing is not None:
        upload.discard()
        return existing
    upload.commit()
    return Artifact.objects.create(
        id=entry["id"],
        version=version,
        platform=entry["platform"],
        format=entry["format"],
        filename=entry["filename"],
        size=entry["size"],
        sha256=entry["sha256"],
        uploaded_by=user,
        created_at=timezone.now(),
    )


def _ring_policy(bundle: bf.Opened, entry: dict[str, Any]) -> RingPolicy:
    document = bundle.json(entry["path"])
    row = RingPolicy.objects.filter(version=entry["version"]).first()
    if row is None:
        return RingPolicy.objects.create(
            version=entry["version"], document=document, sha256=policy.digest(document), active=False
        )
    if row.sha256 != policy.digest(document):
        raise BundleRefused(
            f"Ring policy {entry['version']} here differs from the one the change was decided on.",
            check="policy-versions",
        )
    return row
