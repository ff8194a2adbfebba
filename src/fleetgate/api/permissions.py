from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsAuthenticatedActor(BasePermission):
    """Anonymous callers get nothing; what an actor may do beyond that is core.permissions' call."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user is not None and user.is_authenticated and user.is_active)
