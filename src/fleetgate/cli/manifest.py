"""Declarative intent manifests (`fleetgate apply -f`): parsed strictly, compared field by field."""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(Strict):
    boundary: str
    business_unit: str
    site_classes: list[str] = Field(min_length=1)


class RingStep(Strict):
    ring: str
    target_group: str
    device_count: int
    not_before: datetime | None = None


class RollbackPlan(Strict):
    strategy: str
    rollback_version: str | None = None


class IntentManifest(Strict):
    kind: Literal["DeploymentIntent"] = "DeploymentIntent"
    name: str
    title: str
    application: str = Field(description="Application name or id")
    version: str
    target: Target
    ring_plan: list[RingStep] = Field(min_length=1)
    rollback_plan: RollbackPlan
    change_reason: str = ""

    def payload(self, application_id: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "change_reason": self.change_reason,
            "application": application_id,
            "version": self.version,
            "target_boundary": self.target.boundary,
            "target_business_unit": self.target.business_unit,
            "target_site_classes": self.target.site_classes,
            "ring_plan": [s.model_dump(mode="json", exclude_none=True) for s in self.ring_plan],
            "rollback_plan": self.rollback_plan.model_dump(mode="json", exclude_none=True),
        }


class ManifestError(Exception):
    pass


def load(text: str, source: str) -> list[IntentManifest]:
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ManifestError(f"{source}: not valid YAML ({exc}). Fix the syntax and retry.") from None
    manifests = []
    for index, doc in enumerate(documents):
        try:
            manifests.append(IntentManifest.model_validate(doc))
        except ValidationError as exc:
            lines = [f"{source} document {index + 1}:"]
            for e in exc.errors():
                lines.append(f"  - {'.'.join(str(p) for p in e['loc'])}: {e['msg']}")
            raise ManifestError("\n".join(lines)) from None
    if not manifests:
        raise ManifestError(f"{source} holds no documents; write at least one DeploymentIntent.")
    return manifests


COMPARED = (
    "title",
    "change_reason",
    "version",
    "target_boundary",
    "target_business_unit",
    "target_site_classes",
    "ring_plan",
    "rollback_plan",
)


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: data.get(k) for k in COMPARED}
    out["ring_plan"] = [{k: v for k, v in step.items() if v is not None} for step in out["ring_plan"] or []]
    out["rollback_plan"] = {k: v for k, v in (out["rollback_plan"] or {}).items() if v not in (None, "")}
    return out


def diff(current: dict[str, Any] | None, desired: dict[str, Any], name: str) -> str:
    before = yaml.safe_dump(comparable(current), sort_keys=True).splitlines() if current else []
    after = yaml.safe_dump(comparable(desired), sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(before, after, f"{name} (server)", f"{name} (file)", lineterm=""))
