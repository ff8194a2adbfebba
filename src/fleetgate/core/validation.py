"""Small checks shared by services; each failure names the field and the rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import semver

from fleetgate.core.errors import FieldIssue, ValidationFailed

T = TypeVar("T")


class Issues:
    """Collects every problem with an input so the caller hears about all of them at once."""

    def __init__(self) -> None:
        self.items: list[FieldIssue] = []

    def add(self, field: str, rule: str, message: str) -> None:
        self.items.append(FieldIssue(field, rule, message))

    def raise_if_any(self, summary: str = "The input is not valid; fix the listed fields and retry.") -> None:
        if self.items:
            raise ValidationFailed(summary, errors=self.items)


def check_semver(issues: Issues, field: str, value: str) -> None:
    if not semver.Version.is_valid(value):
        issues.add(field, "semver", f"'{value}' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.2).")


def check_choice(issues: Issues, field: str, value: object, choices: Iterable[str]) -> None:
    options = list(choices)
    if value not in options:
        issues.add(field, "choice", f"'{value}' is not one of: {', '.join(options)}.")


def check_subset(issues: Issues, field: str, values: Iterable[str], choices: Iterable[str]) -> None:
    options = list(choices)
    for index, value in enumerate(values):
        if value not in options:
            issues.add(f"{field}[{index}]", "choice", f"'{value}' is not one of: {', '.join(options)}.")
