"""At a site: deploy an imported intent ring by ring on the site's own plane, and observe it.

Each ring is published and assigned through the site's connector (the durable idempotency store, keys
derived from the import and the ring), in plan order, never beyond the highest ring the central CAB
conditions allow. Observations are operational data (no ledger event); the results bundle signs them.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.catalog import store
from fleetgate.connectors import services as connectors
from fleetgate.connectors.base import AppRef, IntentRef, RingGroup
from fleetgate.connectors.base import Artifact as PlaneArtifact
from fleetgate.connectors.models import ConnectorInstance
from fleetgate.core import permissions
from fleetgate.core.actors import Actor, service
from fleetgate.core.errors import Conflict, NotFound
from fleetgate.core.lookups import locked, user_of
from fleetgate.evidence import safejson
from fleetgate.evidence.models import EvidencePack
from fleetgate.intents import services as intents
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import Action, State
from fleetgate.sites import queries
from fleetgate.sites.models import BundleImport, SiteRing

SITE_PLANE = service("site-plane", frozenset({"connector.execute"}))


def _source(intent_id: Any) -> tuple[DeploymentIntent, BundleImport]:
    source = queries.intent_import(intent_id)
    if source is None:
        raise NotFound(f"Intent {intent_id} was not imported from a bundle here; import its bundle first.")
    return source.intent, source


def _connector(source: BundleImport) -> ConnectorInstance:
    row = ConnectorInstance.objects.filter(name=source.site.connector_name, enabled=True).first()
    if row is None:
        raise Conflict(
            f"Site {source.site.name} names connector '{source.site.connector_name}', which is not configured and "
            "enabled here; a Platform Admin sets it on the Connectors screen and on the site."
        )
    return row


def max_ring(source: BundleImport) -> str | None:
    """The highest ring the central CAB conditions in force allow (None: no such condition)."""
    rings = [
        d["conditions"]["max_ring"]
        for r in source.approval_record.get("cab_requests", [])
        if r.get("state") == "approved"
        for d in r.get("decisions", [])
        if not d.get("revoked") and (d.get("conditions") or {}).get("max_ring")
    ]
    order = source.intent.ring_policy.ring_names
    return min(rings, key=order.index) if rings else None


def deploy_ring(*, actor: Actor, intent_id: Any, ring: str) -> SiteRing:
    intent, source = _source(intent_id)
    permissions.require(actor, "bundle.deploy", intent)
    if ring not in intent.rings:
        raise Conflict(f"'{ring}' is not a ring of {intent.name} ({', '.join(intent.rings)}).")
    position = intent.rings.index(ring)
    done = set(queries.site_rings(source).values_list("ring", flat=True))
    if ring in done:
        raise Conflict(f"{ring} is deployed on this site already; observe it or export the results.")
    if position > 0 and intent.rings[position - 1] not in done:
        raise Conflict(f"Deploy {intent.rings[position - 1]} first: rings go in plan order.")
    ceiling = max_ring(source)
    order = intent.ring_policy.ring_names
    if ceiling is not None and order.index(ring) > order.index(ceiling):
        raise Conflict(f"CAB approved {intent.name} up to {ceiling} only; {ring} is beyond it.")
    connector = _connector(source)
    step = intent.ring_plan[position]
    group = str((step.get("target_groups") or {}).get(connector.kind) or step["target_group"])
    pack = EvidencePack.objects.filter(intent=intent).select_related("artifact__version__application").first()
    assert pack is not None
    keyprefix = f"fg-site:{source.pk}:{ring}"
    app = connectors.publish(
        actor=SITE_PLANE, connector_id=connector.pk, artifact=_plane_artifact(pack), key=f"{keyprefix}:publish"
    )
    assigned = connectors.assign(
        actor=SITE_PLANE,
        connector_id=connector.pk,
        app=app,
        group=RingGroup(name=group, ring=ring, site_class=source.site.site_class),
        intent=IntentRef(intent_id=str(intent.pk), name=intent.name, ring=ring),
        key=f"{keyprefix}:assign",
    )
    with transaction.atomic():
        intent = locked(DeploymentIntent, intent.pk, "intent")
        if intent.state == State.APPROVED:
            intents.transition(
                actor=actor,
                intent=intent,
                action=Action.START,
                event="intent.started",
                extra={"site": source.site.name},
            )
        row = SiteRing.objects.create(
            source=source,
            ring=ring,
            position=position,
            connector_name=connector.name,
            group=group,
            app_ref=app.__dict__ | {"attributes": dict(app.attributes)},
            assignment_id=assigned.external_id or "assigned",
            deployed_by=user_of(actor),
        )
        audit.record(
            actor=actor,
            action="site.ring_deployed",
            subject_type="intent",
            subject_id=intent.pk,
            after={"site": source.site.name, "ring": ring, "connector": connector.name, "group": group},
        )
    return row


def _plane_artifact(pack: EvidencePack) -> PlaneArtifact:
    artifact = pack.artifact
    body = safejson.loads(pack.sealed_json, max_depth=80)["body"]
    facts = (body["sections"].get("install_facts") or [{}])[-1].get("summary", {})
    content = store.path_for(artifact.sha256)
    return PlaneArtifact(
        name=artifact.version.application.name,
        version=artifact.version.version,
        filename=artifact.filename,
        sha256=artifact.sha256,
        size=artifact.size,
        platform=artifact.platform,
        format=artifact.format,
        publisher=artifact.version.application.vendor,
        path=str(content) if content.exists() else "",
        detection_rules=tuple(facts.get("detection_rules") or ()),
    )


def observe(*, actor: Actor, intent_id: Any) -> list[SiteRing]:
    """Read each deployed ring's install counts from the site's plane into its record."""
    intent, source = _source(intent_id)
    permissions.require(actor, "bundle.results_export", intent)
    rows = list(queries.site_rings(source))
    for row in rows:
        app = AppRef(**{**row.app_ref, "attributes": dict(row.app_ref.get("attributes") or {})})
        group = RingGroup(
            name=row.group, ring=row.ring, site_class=source.site.site_class, assignment_id=row.assignment_id
        )
        connector = ConnectorInstance.objects.get(name=row.connector_name)
        result = connectors.observe(actor=SITE_PLANE, connector_id=connector.pk, app=app, group=group)
        row.counts = {
            "installed": result.installed,
            "failed": result.failed,
            "pending": result.pending,
            "not_applicable": result.not_applicable,
            "total": result.total,
        }
        row.observed_at = timezone.now()
        SiteRing.objects.filter(pk=row.pk).update(counts=row.counts, observed_at=row.observed_at)
    return rows
