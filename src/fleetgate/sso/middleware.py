"""Every request of a single sign-on session: when the mapping changed since the session's roles were
evaluated, evaluate them again first (or end the session when that is refused), so a mapping edit takes a
role away at the person's next request."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from fleetgate.core.errors import DomainError
from fleetgate.sso import queries, services
from fleetgate.sso.api import SESSION_KEY
from fleetgate.sso.models import ExternalIdentity

log = structlog.get_logger(__name__)


class SsoSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        data = session.get(SESSION_KEY) if session is not None else None
        if data and request.user.is_authenticated and data.get("version") != queries.current_version():
            try:
                version = services.reevaluate(user_id=request.user.pk)
            except (DomainError, ExternalIdentity.DoesNotExist) as exc:
                log.warning("sso_session_ended", user=request.user.pk, reason=str(exc))
                logout(request)
            else:
                request.session[SESSION_KEY] = {**data, "version": version}
        return self.get_response(request)
