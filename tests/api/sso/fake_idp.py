"""A local OpenID provider the tests fully control, for the tokens a real provider will not issue: wrong
audience, another tenant, expired, tampered, replayed. It serves discovery, a JWKS (whose key can be
rotated), a token endpoint that checks the client secret and the PKCE verifier (S256) like a real one, an
end-session endpoint in discovery, and a Microsoft Graph stand-in for the groups overage. Each test says
which claims the next id_token carries; the key signs them, so only the claims are wrong."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "fleetgate-tests"
CLIENT_SECRET = "fleetgate-tests-secret"
TENANT = "9a1c1f6e-0000-4000-8000-00000000c0de"


def new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(4), "alg": "RS256", "use": "sig"})


@dataclass
class Pending:
    challenge: str
    id_token: str
    access_token: str


@dataclass
class FakeIdp:
    port: int = 0
    key: RSAKey = field(default_factory=new_key)
    published: list[RSAKey] = field(default_factory=list)
    codes: dict[str, Pending] = field(default_factory=dict)
    graph: dict[str, list[str]] = field(default_factory=dict)  # access token -> groups
    graph_calls: list[str] = field(default_factory=list)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rotate(self, *, publish: bool = True) -> None:
        """A new signing key; with publish, the JWKS lists it too (a real rotation)."""
        self.key = new_key()
        if publish:
            self.published.append(self.key)

    def claims(self, nonce: str, /, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        base = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "pairwise-sub-1",
            "oid": "00000000-0000-4000-8000-0000000a11ce",
            "tid": TENANT,
            "preferred_username": "alice@contoso.example",
            "email": "alice@contoso.example",
            "groups": [],
            "roles": [],
            "iat": now,
            "exp": now + 600,
            "nonce": nonce,
        }
        base.update(overrides)
        return {k: v for k, v in base.items() if v is not None}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)

    def authorize(
        self,
        authorization_url: str,
        *,
        id_token: str | None = None,
        graph_groups: list[str] | None = None,
        **claims: Any,
    ) -> tuple[str, str]:
        """What the provider does when the person signs in: a code for the state, whose exchange returns
        `id_token` (else one with `claims` over the defaults); `graph_groups` is what Graph lists for the
        access token issued with it. Returns (code, state)."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        assert query["code_challenge_method"] == "S256"
        assert query["client_id"] == CLIENT_ID
        token = id_token or self.sign(self.claims(query["nonce"], **claims))
        code = secrets.token_urlsafe(16)
        pending = Pending(query["code_challenge"], token, secrets.token_urlsafe(24))
        self.codes[code] = pending
        if graph_groups is not None:
            self.graph[pending.access_token] = graph_groups
        return code, query["state"]

    def start(self) -> FakeIdp:
        self.published.append(self.key)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(idp: FakeIdp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                return self._json(
                    200,
                    {
                        "issuer": idp.issuer,
                        "authorization_endpoint": f"{idp.issuer}/authorize",
                        "token_endpoint": f"{idp.issuer}/token",
                        "jwks_uri": f"{idp.issuer}/jwks",
                        "end_session_endpoint": f"{idp.issuer}/logout",
                        "response_types_supported": ["code"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "code_challenge_methods_supported": ["S256"],
                    },
                )
            if self.path == "/jwks":
                return self._json(200, KeySet(idp.published).as_dict(private=False))
            return self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if self.path == "/token":
                form = parse_qs(raw)
                idp.token_requests.append(form)
                one = {k: v[0] for k, v in form.items()}
                if (one.get("client_id"), one.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                    return self._json(401, {"error": "invalid_client"})
                pending = idp.codes.pop(one.get("code", ""), None)
                verifier = one.get("code_verifier", "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if pending is None or digest != pending.challenge:
                    return self._json(400, {"error": "invalid_grant", "error_description": "code or PKCE verifier"})
                return self._json(
                    200,
                    {
                        "access_token": pending.access_token,
                        "token_type": "Bearer",
                        "expires_in": 3600,
                        "id_token": pending.id_token,
                    },
                )
            if self.path.startswith("/v1.0/users/") and self.path.endswith("/getMemberObjects"):
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                idp.graph_calls.append(self.path)
                if bearer not in idp.graph:
                    return self._json(401, {"error": {"code": "InvalidAuthenticationToken"}})
                return self._json(200, {"value": idp.graph[bearer]})
            return self._json(404, {"error": "not_found"})

    return Handler
