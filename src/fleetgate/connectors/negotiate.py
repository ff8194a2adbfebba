"""HTTP Negotiate / NTLM authentication (RFC 4559, MS-NTHT) for httpx, with pyspnego as the GSS layer.

IIS authenticates the TCP connection, not each request: the first request on a connection is
answered 401 with ``WWW-Authenticate: Negotiate`` (and/or ``NTLM``); the client then sends its
initial token, gets a challenge in a second 401, answers it, and the connection is authenticated
from then on. This auth flow sends each request as is first (a connection already authenticated
just answers it) and runs the handshake only when challenged, on the same connection (httpx reuses
the idle pooled connection for the follow-up requests of one auth flow).

pyspnego picks Kerberos inside Negotiate when a Kerberos library (python-gssapi + krb5) and a
ticket or keytab are present, else NTLM, which it implements in pure Python.
"""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx
import spnego
from spnego.exceptions import SpnegoError

from fleetgate.connectors.errors import Permanent

SCHEMES = ("Negotiate", "NTLM")
MAX_LEGS = 4  # NTLM needs 2 round trips, Kerberos 1; more means the server keeps challenging


def offered(response: httpx.Response) -> dict[str, str]:
    """The schemes a 401 offers, each with its token ("" when none), from every WWW-Authenticate."""
    found: dict[str, str] = {}
    for header in response.headers.get_list("www-authenticate"):
        for part in header.split(","):
            scheme, _, token = part.strip().partition(" ")
            for known in SCHEMES:
                if scheme.lower() == known.lower():
                    found[known] = token.strip()
    return found


class NegotiateAuth(httpx.Auth):
    requires_request_body = True

    def __init__(self, username: str, password: str, service: str = "HTTP") -> None:
        self.username, self.password, self.service = username, password, service

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        schemes = offered(response) if response.status_code == 401 else {}
        scheme = next((s for s in SCHEMES if s in schemes), None)
        if scheme is None:
            return
        try:
            context = spnego.client(
                self.username,
                self.password,
                hostname=request.url.host,
                service=self.service,
                protocol="negotiate" if scheme == "Negotiate" else "ntlm",
            )
            token = context.step()
            for _ in range(MAX_LEGS):
                if token is None:
                    return
                request.headers["Authorization"] = f"{scheme} {base64.b64encode(token).decode()}"
                response = yield request
                challenge = offered(response).get(scheme, "") if response.status_code == 401 else ""
                if not challenge:
                    return  # accepted (any status but 401), or refused (a 401 without a challenge)
                token = context.step(base64.b64decode(challenge))
        except (SpnegoError, ValueError) as exc:
            raise Permanent(f"{scheme} authentication failed: {exc}") from exc
