"""Declarative intent manifests (`fleetgate apply -f`, the console's Apply page): parsed strictly, every
problem named by document, field and line, and compared with the stored intent field by field.

Parsing is PyYAML's safe loader driven node by node (`get_node`, then `construct_document`, as
`yaml.safe_load_all` does internally), so each document keeps its node tree and a field's line is the
start mark of its node (PyYAML marks count from 0). Aliases are refused: a manifest is short, and an
alias bomb must not expand. Fields and their types are checked by pydantic with `extra="forbid"`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fleetgate.core.errors import FieldIssue, ValidationFailed

MAX_DOCUMENTS = 50
Path = tuple[str | int, ...]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(Strict):
    boundary: str = Field(max_length=64)
    business_unit: str = Field(max_length=64)
    site_classes: list[str] = Field(min_length=1)


class RingStep(Strict):
    ring: str = Field(max_length=32)
    target_group: str = Field(max_length=200)
    target_groups: dict[str, str] | None = None
    device_count: int
    not_before: datetime | None = None


class RollbackPlan(Strict):
    strategy: str = Field(max_length=32)
    rollback_version: str | None = Field(default=None, max_length=64)


class IntentManifest(Strict):
    kind: Literal["DeploymentIntent"] = "DeploymentIntent"
    name: str = Field(max_length=100)
    title: str = Field(max_length=200)
    application: str = Field(max_length=200, description="Application name or id")
    version: str = Field(max_length=64)
    target: Target
    ring_plan: list[RingStep] = Field(min_length=1)
    rollback_plan: RollbackPlan
    change_reason: str = Field(default="", max_length=10000)

    def payload(self, application_id: str) -> dict[str, Any]:
        """The intent as the API and the intents services name its fields."""
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


@dataclass(frozen=True)
class Document:
    index: int  # 0-based, as in the field names
    node: yaml.Node
    manifest: IntentManifest

    @property
    def line(self) -> int:
        return int(self.node.start_mark.line) + 1

    def issue(self, api_field: str, rule: str, message: str) -> tuple[FieldIssue, int]:
        """A service's problem with one field, named by this document and the manifest's own field path."""
        path = manifest_path(api_field)
        return FieldIssue(_name(self.index, path), rule, message), line_of(self.node, path)


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass
class Outcome:
    document: int  # 1-based, as a person counts
    line: int
    name: str
    action: Literal["create", "update", "unchanged"]
    changes: list[FieldChange] = field(default_factory=list)
    diff: str = ""
    intent_id: str | None = None


class _NoAliases(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted in a manifest", mark)
        return super().compose_node(parent, index)


def problem(issues: list[tuple[FieldIssue, int]], detail: str) -> ValidationFailed:
    """One 400 problem for every issue; `lines` maps each field to the line it is on (1-based)."""
    return ValidationFailed(detail, errors=[i for i, _ in issues], lines={i.field: line for i, line in issues})


def load(text: str) -> list[Document]:
    """Every document of the manifest, or one problem naming every field that is wrong, with its line."""
    loader = _NoAliases(text)
    nodes: list[yaml.Node] = []
    data: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said a document follows
                break
            nodes.append(node)
            data.append(loader.construct_document(node))
            if len(nodes) > MAX_DOCUMENTS:
                raise problem(
                    [
                        (
                            FieldIssue("manifest", "documents", f"At most {MAX_DOCUMENTS} documents."),
                            node.start_mark.line + 1,
                        )
                    ],
                    "The manifest holds too many documents; split it.",
                )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        where = f" (line {line}, column {mark.column + 1})" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise problem(
            [(FieldIssue("manifest", "yaml", f"Line {line}: {reason}. Fix the syntax and try again."), line)],
            f"The manifest is not valid YAML{where}.",
        ) from None
    finally:
        loader.dispose()
    documents: list[Document] = []
    issues: list[tuple[FieldIssue, int]] = []
    for index, (node, doc) in enumerate((n, d) for n, d in zip(nodes, data, strict=True) if d is not None):
        try:
            documents.append(Document(index, node, IntentManifest.model_validate(doc)))
        except ValidationError as exc:
            for e in exc.errors():
                path = tuple(e["loc"])
                issues.append((FieldIssue(_name(index, path), _rule(e["type"]), e["msg"]), line_of(node, path)))
    if issues:
        raise problem(issues, "The manifest is not valid; fix the listed fields and try again.")
    if not documents:
        raise problem(
            [(FieldIssue("manifest", "required", "Write at least one DeploymentIntent document."), 1)],
            "The manifest holds no documents.",
        )
    return documents


def _rule(pydantic_type: str) -> str:
    return {"extra_forbidden": "unknown-field", "missing": "required"}.get(pydantic_type, pydantic_type)


def dotted(path: Path) -> str:
    """("ring_plan", 1, "device_count") → `ring_plan[1].device_count`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _name(index: int, path: Path) -> str:
    rest = dotted(path)
    return f"documents[{index}]" + (rest if not rest or rest.startswith("[") else f".{rest}")


# The intents services name target fields flat; a manifest nests them under `target`.
_NESTED = {"target_boundary": "target.boundary", "target_business_unit": "target.business_unit"}
_NESTED["target_site_classes"] = "target.site_classes"
_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def manifest_path(api_field: str) -> Path:
    """`target_site_classes[1]` → ("target", "site_classes", 1)."""
    head = re.match(r"[A-Za-z_]+", api_field)
    text = api_field
    if head and head.group(0) in _NESTED:
        text = _NESTED[head.group(0)] + api_field[head.end() :]
    return tuple(int(num) if num else name for num, name in _PART.findall(text))


def line_of(node: yaml.Node, path: Path) -> int:
    """The 1-based line of the deepest node along `path` (a missing key: the mapping that lacks it)."""
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if getattr(k, "value", None) == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


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


def changes(current: dict[str, Any] | None, desired: dict[str, Any]) -> list[FieldChange]:
    """Field by field, in the manifest's names: `ring_plan[1].device_count: 80 → 100`."""
    before = comparable(current) if current is not None else {}
    after = comparable(desired)
    out: list[FieldChange] = []
    for key in COMPARED:
        _walk(manifest_path(key), before.get(key), after.get(key), out)
    return out


def _walk(path: Path, before: Any, after: Any, out: list[FieldChange]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            _walk((*path, key), before.get(key), after.get(key), out)
        return
    if isinstance(before, list) and isinstance(after, list) and all(isinstance(x, dict) for x in before + after):
        for i in range(max(len(before), len(after))):
            _walk((*path, i), before[i] if i < len(before) else None, after[i] if i < len(after) else None, out)
        return
    out.append(FieldChange(dotted(path), before, after))


def diff(current: dict[str, Any] | None, desired: dict[str, Any], name: str) -> str:
    """The same change as a unified diff of the YAML, for a terminal."""
    before = yaml.safe_dump(comparable(current), sort_keys=True).splitlines() if current else []
    after = yaml.safe_dump(comparable(desired), sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(before, after, f"{name} (server)", f"{name} (file)", lineterm=""))


def stored(intent: Any) -> dict[str, Any]:
    """A stored intent in the shape `payload` gives, for comparing."""
    return {
        "title": intent.title,
        "change_reason": intent.change_reason,
        "version": intent.version.version,
        "target_boundary": intent.target_boundary,
        "target_business_unit": intent.target_business_unit,
        "target_site_classes": intent.target_site_classes,
        "ring_plan": intent.ring_plan,
        "rollback_plan": intent.rollback_plan,
    }
