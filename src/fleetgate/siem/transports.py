"""Sending a batch to a destination: syslog over TCP or TLS, or one HTTPS POST (Splunk HEC, plain JSON).

A batch counts as sent only when the receiver took it:
- TCP and TLS (RFC 6587, RFC 5425) have no application acknowledgement. One connection carries one batch;
  after writing it, Fleetgate half-closes (TLS: sends close_notify) and waits for the receiver to close
  its side. A receiver closes only once it has read everything up to our end of stream, so an outage, a
  reset or a timeout anywhere in the batch fails the whole batch, which is sent again. What a receiver
  read but lost before persisting (a crash in between) cannot be seen from here: that, and a reset after
  part of a batch was processed, is why delivery is at-least-once and receivers deduplicate by sequence.
- Splunk HEC (`/services/collector/event`, `Authorization: Splunk <token>`): accepted only on HTTP 200
  with `{"text": "Success", "code": 0}` (Splunk docs, "HTTP Event Collector REST API", status codes).
- Plain HTTPS JSON: any 2xx (`Authorization: Bearer <token>` when a token is set).
TLS is verified with the ssl module (hostname and chain; TLS 1.2 or later) unless verification was turned
off for the destination; the trust anchors are the destination's CA PEM, else the system's.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from fleetgate.siem.models import HEC_PATH, Kind

TIMEOUT_SECONDS = 10.0


class DeliveryFailed(Exception):
    """The batch was not accepted; nothing of it counts as sent."""


@dataclass(frozen=True)
class Endpoint:
    kind: str
    host: str
    port: int
    path: str = ""
    tls_verify: bool = True
    ca_pem: str = ""
    server_name: str = ""
    client_cert_pem: str = ""
    client_key_pem: str = ""
    token: str = ""

    @property
    def url(self) -> str:
        path = self.path or (HEC_PATH if self.kind == Kind.HTTPS_HEC else "/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}{path if path.startswith('/') else '/' + path}"


def tls_context(endpoint: Endpoint) -> ssl.SSLContext:
    if endpoint.tls_verify:
        try:
            context = ssl.create_default_context(cadata=endpoint.ca_pem or None)
        except ssl.SSLError as exc:
            raise DeliveryFailed(f"The destination's CA certificates are unusable: {exc}") from None
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # and at most TLS 1.2 (RFC 5425's, still allowed by RFC 9662): syslog has no acknowledgement, so the
    # receiver's acceptance of this client must be part of the handshake. TLS 1.3 moves the server's check
    # of the client certificate after it: a receiver that refuses a missing or untrusted certificate then
    # drops the connection exactly as it closes an accepted one, and a batch it never read would count
    # as sent (seen: CI, rsyslog with gtls requiring client certificates).
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    if endpoint.client_cert_pem:
        _load_client_chain(context, endpoint.client_cert_pem, endpoint.client_key_pem)
    return context


def _load_client_chain(context: ssl.SSLContext, cert_pem: str, key_pem: str) -> None:
    """The ssl module loads key material from files only: a private temporary directory, gone at once."""
    with tempfile.TemporaryDirectory(prefix="fleetgate-siem-") as folder:
        cert, key = Path(folder) / "client.pem", Path(folder) / "client.key"
        cert.write_text(cert_pem)
        key.touch(mode=0o600)
        key.write_text(key_pem)
        try:
            context.load_cert_chain(cert, key if key_pem else None)
        except (ssl.SSLError, OSError) as exc:
            raise DeliveryFailed(f"TLS client certificate or key unusable: {exc}") from None


def send_stream(endpoint: Endpoint, payload: bytes, *, timeout: float = TIMEOUT_SECONDS) -> None:
    """Write one batch of framed messages over a new connection and wait for the receiver's close."""
    try:
        context = tls_context(endpoint) if endpoint.kind == Kind.SYSLOG_TLS else None
        with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout) as raw:
            if context is None:
                raw.sendall(payload)
                raw.shutdown(socket.SHUT_WR)
                _await_close(raw)
                return
            with context.wrap_socket(raw, server_hostname=endpoint.server_name or endpoint.host) as tls:
                tls.sendall(payload)
                try:
                    plain = tls.unwrap()  # our close_notify, then the receiver's
                except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
                    return  # the receiver closed the connection after reading our close_notify
                plain.shutdown(socket.SHUT_WR)
                _await_close(plain)
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryFailed(
            f"TLS verification of {endpoint.host}:{endpoint.port} failed: {exc.verify_message}"
        ) from None
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryFailed(f"{endpoint.host}:{endpoint.port}: {exc.__class__.__name__}: {exc}") from None


def _await_close(sock: socket.socket) -> None:
    while sock.recv(4096):  # a syslog receiver sends nothing; the empty read is its close
        continue


def post(endpoint: Endpoint, body: bytes, *, client: httpx.Client | None = None) -> None:
    """One HTTPS POST of a batch; raises DeliveryFailed unless the receiver accepted it."""
    headers = {"Content-Type": "application/json"}
    if endpoint.token:
        scheme = "Splunk" if endpoint.kind == Kind.HTTPS_HEC else "Bearer"
        headers["Authorization"] = f"{scheme} {endpoint.token}"
    try:
        with contextlib.ExitStack() as stack:
            http = client or stack.enter_context(
                httpx.Client(verify=tls_context(endpoint), timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=5.0))
            )
            response = http.post(endpoint.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{endpoint.url}: {exc.__class__.__name__}: {exc}") from None
    if endpoint.kind == Kind.HTTPS_HEC:
        _check_hec(response)
    elif not response.is_success:
        raise DeliveryFailed(f"HTTP {response.status_code} from {endpoint.url}: {response.text[:200]}")


def _check_hec(response: httpx.Response) -> None:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code == 200 and isinstance(answer, dict) and answer.get("code") == 0:
        return
    text = answer.get("text") if isinstance(answer, dict) else response.text[:200]
    code = answer.get("code") if isinstance(answer, dict) else None
    raise DeliveryFailed(f"HEC refused the batch: HTTP {response.status_code}, code {code}: {text}")
