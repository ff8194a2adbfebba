"""Windows integrated authentication as IIS does it for the AdminService: Negotiate / NTLM, per connection.

A request on a connection not yet authenticated is answered 401 with ``WWW-Authenticate: Negotiate``
and ``WWW-Authenticate: NTLM``; the client's tokens go through a real NTLM acceptor (pyspnego, which
looks the user's NT hash up in the flat credential file named by ``NTLM_USER_FILE``); once the
handshake completes, the connection is authenticated as that user and later requests on it need no
header. Basic is refused (IIS with only Windows authentication enabled). Kerberos is not accepted:
the simulator has no KDC or keytab, so SPNEGO negotiates NTLM inside Negotiate.
"""

from __future__ import annotations

import base64
import io
import os
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any

import spnego
from spnego.exceptions import SpnegoError
from werkzeug.serving import DechunkedInput, WSGIRequestHandler

_FILE_LOCK = threading.Lock()
_USERS_FILE: Path | None = None


def register_user(domain: str, username: str, password: str) -> None:
    """Add a user to this process's NTLM credential file (`DOMAIN:USER:PASSWORD`, Heimdal format)."""
    global _USERS_FILE
    with _FILE_LOCK:
        if _USERS_FILE is None:
            _USERS_FILE = Path(tempfile.mkdtemp(prefix="fleetsim-ntlm-")) / "users"
            _USERS_FILE.touch(mode=0o600)
        with _USERS_FILE.open("a", encoding="utf-8") as handle:
            handle.write(f"{domain}:{username}:{password}\n")
        os.environ["NTLM_USER_FILE"] = str(_USERS_FILE)


class Denied(Exception):
    """Authentication failed or is still under way: answer 401 with these WWW-Authenticate values."""

    def __init__(self, message: str, challenges: list[str]) -> None:
        super().__init__(message)
        self.challenges = challenges


OFFER = ["Negotiate", "NTLM"]


class WindowsAuth:
    """Connection-based Negotiate/NTLM acceptor for one simulated site; only `user` is let in."""

    def __init__(self, domain: str, username: str, password: str) -> None:
        self.domain, self.username = domain, username
        register_user(domain, username, password)
        self._lock = threading.Lock()
        self._pending: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._done: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

    @property
    def principal(self) -> str:
        return f"{self.domain}\\{self.username}"

    def check(self, environ: dict[str, Any], header: str) -> tuple[str, str]:
        """(user, final token header or "") for an authenticated request; raises Denied otherwise."""
        connection = environ.get("werkzeug.socket")
        with self._lock:
            user = self._done.get(connection) if connection is not None else None
        if user is not None:
            return user, ""
        scheme, _, token = header.strip().partition(" ")
        if not scheme:
            raise Denied("Authorization has been denied for this request.", OFFER)
        if scheme.lower() not in ("negotiate", "ntlm"):
            raise Denied(f"The authentication scheme '{scheme}' is not enabled on this server.", OFFER)
        name = "Negotiate" if scheme.lower() == "negotiate" else "NTLM"
        try:
            raw = base64.b64decode(token.strip(), validate=True)
        except ValueError as exc:
            raise Denied("The authorization token is not valid base64.", OFFER) from exc
        with self._lock:
            context = self._pending.pop(connection, None) if connection is not None else None
        try:
            if context is None:
                context = spnego.server(protocol=name.lower(), service="HTTP")
            out = context.step(raw)
        except SpnegoError as exc:
            raise Denied("Authorization has been denied for this request.", OFFER) from exc
        reply = f"{name} {base64.b64encode(out).decode()}" if out else ""
        if not context.complete:
            if connection is None or not out:
                raise Denied("Authorization has been denied for this request.", OFFER)
            with self._lock:
                self._pending[connection] = context
            raise Denied("Authorization has been denied for this request.", [reply])
        user = str(context.client_principal or "")
        if user.lower() != self.principal.lower():
            raise Denied(f"The user '{user}' has no access to the SMS Provider.", OFFER)
        if connection is not None:
            with self._lock:
                self._done[connection] = user
        return user, reply


class _Drained:
    """The connection's reader as werkzeug's after-response drain sees it: nothing left to read (the
    body was read up front), so the drain never swallows the next request on a kept-alive connection."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def read(self, *_: Any) -> bytes:
        return b""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class KeepAliveHandler(WSGIRequestHandler):
    """Werkzeug's handler with HTTP/1.1 keep-alive, which connection-based NTLM needs (IIS keeps
    connections open; werkzeug closes every one). The request body (plain or chunked) is read in
    full before the app runs, so the next request line is where the stream stands whatever the app
    read, and werkzeug's drain after the response reads nothing."""

    def run_wsgi(self) -> None:
        real = self.rfile
        self.rfile = _Drained(real)  # type: ignore[assignment]
        try:
            super().run_wsgi()
        finally:
            self.rfile = real

    def make_environ(self) -> Any:
        real = self.rfile.real if isinstance(self.rfile, _Drained) else self.rfile
        environ = super().make_environ()
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = DechunkedInput(real).read()  # type: ignore[arg-type]
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = real.read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return environ

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "connection" and value.lower() == "close":
            return  # the connection stays open unless the client asked to close it
        super().send_header(keyword, value)
