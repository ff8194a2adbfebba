"""Shared pieces of the sites services: the bundle key, the refusal that names its check, site lookup."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from fleetgate.audit import services as audit
from fleetgate.core import keys
from fleetgate.core.actors import Actor
from fleetgate.core.errors import DomainError, FieldIssue, NotFound
from fleetgate.sites.models import Site
from fleetgate.sites.verify import Report

KEY_PURPOSE = "bundle"  # keys/bundle-ed25519.pem in the data dir: signs bundles this installation exports


class BundleRefused(DomainError):
    """A bundle failed a named check (export, verify or import); `errors` lists each failed check."""

    status, code, title = 422, "bundle-refused", "The bundle was refused"

    def __init__(self, detail: str, *, check: str = "", errors: list[FieldIssue] | None = None, **extra: Any) -> None:
        super().__init__(detail, errors=errors or ([FieldIssue(check, "failed", detail)] if check else []), **extra)


def public_key_pem() -> str:
    return keys.load_or_create(KEY_PURPOSE).public_pem()


def site_named(name: str) -> Site:
    site = Site.objects.filter(name=name).first()
    if site is None:
        raise NotFound(f"No site named '{name}'; a Platform Admin registers it (Sites, or `fleetgate site add`).")
    return site


def refuse(actor: Actor, report: Report, what: str, source: str) -> BundleRefused:
    """Record the refusal in the ledger (its own transaction: nothing else happens) and return the error."""
    failed = [c for c in report.checks if not c.ok]
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="bundle.refused",
            subject_type="bundle",
            subject_id=report.manifest.get("bundle_id") or report.manifest_sha256 or source,
            after={"kind": what, "file": source, "failed_checks": [c.name for c in failed]},
            severity="warning",
        )
    return BundleRefused(
        f"The {what} bundle was refused: " + "; ".join(f"{c.name}: {c.message}" for c in failed),
        errors=[FieldIssue(c.name, "failed", c.message) for c in failed],
    )
