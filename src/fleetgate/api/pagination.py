from __future__ import annotations

from typing import Any

from rest_framework import pagination
from rest_framework.request import Request

from fleetgate.core.errors import FieldIssue, ValidationFailed


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors: stable under concurrent inserts, constant cost at any depth.

    `page_size` is 1..max_page_size, as the contract says; anything else is a 400 naming the parameter
    (DRF would quietly fall back to the default, or cut it to the maximum).
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-created_at"

    def get_page_size(self, request: Request) -> int:
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size  # type: ignore[return-value]
        raw = values[-1]
        if len(values) > 1 or not _small_whole(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationFailed(
                f"page_size must be one whole number from 1 to {self.max_page_size}.",
                errors=[
                    FieldIssue(
                        self.page_size_query_param,
                        "range",
                        f"Give one whole number from 1 to {self.max_page_size}, or leave it out for {self.page_size}.",
                    )
                ],
            )
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    **parameter["schema"],
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters


def _small_whole(raw: str) -> bool:
    return raw.isascii() and raw.isdigit() and len(raw) <= 9
