"""The one place that reads the environment. Everything configurable is a FLEETGATE_* variable."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"FLEETGATE_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"FLEETGATE_{name} must be an integer, got {raw!r}; fix the variable and retry.") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name).strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


def _env_networks(name: str) -> tuple[str, ...]:
    """A comma-separated list of IP addresses or CIDR networks, checked here so a typo fails at start."""
    import ipaddress

    out = []
    for item in (part.strip() for part in _env(name).split(",")):
        if not item:
            continue
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise SystemExit(
                f"FLEETGATE_{name}: {item!r} is not an IP address or CIDR network (e.g. 10.0.0.0/8); fix it and retry."
            ) from exc
    return tuple(out)


@dataclass(frozen=True)
class OidcConfig:
    """Single sign-on through one OpenID Connect provider (Microsoft Entra ID or any other); off while no issuer."""

    issuer: str = ""  # discovery at <issuer>/.well-known/openid-configuration
    client_id: str = ""
    client_secret: str = ""
    redirect_uri: str = ""  # https://<fleetgate>/api/v1/auth/sso/callback/, registered at the provider
    post_logout_redirect_uri: str = ""  # where the provider sends the browser after sign-out (default: /login)
    scopes: str = "openid profile email"
    display_name: str = "single sign-on"  # the sign-in button says "Sign in with <display_name>"
    tenant_id: str = ""  # Entra: the id_token's `tid` must equal it
    subject_claim: str = "sub"  # the stable subject: `oid` on Entra
    username_claim: str = "preferred_username"
    groups_claim: str = "groups"
    roles_claim: str = "roles"  # Entra app roles, mapped like groups
    leeway_seconds: int = 120  # clock skew allowed on exp / iat / nbf
    graph_url: str = "https://graph.microsoft.com"  # groups overage resolved here (a local stand-in in tests)
    timeout_seconds: float = 10.0

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)


def _oidc() -> OidcConfig:
    tenant = _env("OIDC_TENANT_ID").strip()
    return OidcConfig(
        issuer=_env("OIDC_ISSUER").strip().rstrip("/"),
        client_id=_env("OIDC_CLIENT_ID").strip(),
        client_secret=_env("OIDC_CLIENT_SECRET"),
        redirect_uri=_env("OIDC_REDIRECT_URI").strip(),
        post_logout_redirect_uri=_env("OIDC_POST_LOGOUT_REDIRECT_URI").strip(),
        scopes=_env("OIDC_SCOPES", "openid profile email").strip() or "openid profile email",
        display_name=_env("OIDC_DISPLAY_NAME", "single sign-on").strip() or "single sign-on",
        tenant_id=tenant,
        subject_claim=_env("OIDC_SUBJECT_CLAIM", "oid" if tenant else "sub").strip(),
        username_claim=_env("OIDC_USERNAME_CLAIM", "preferred_username").strip(),
        groups_claim=_env("OIDC_GROUPS_CLAIM", "groups").strip(),
        roles_claim=_env("OIDC_ROLES_CLAIM", "roles").strip(),
        leeway_seconds=_env_int("OIDC_LEEWAY_SECONDS", 120),
        graph_url=_env("OIDC_GRAPH_URL", "https://graph.microsoft.com").strip().rstrip("/"),
        timeout_seconds=float(_env_int("OIDC_TIMEOUT_SECONDS", 10)),
    )


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str
    redis_url: str
    debug: bool
    secret_key: str
    allowed_hosts: list[str]
    max_body_bytes: int
    max_upload_bytes: int
    throttle_user: str
    throttle_anon: str
    throttle_login: str
    token_default_days: int
    notify_email: bool  # also e-mail notifications through Django's mail backend
    db_pool_max: int
    log_level: str
    server_url: str
    token: str
    metrics_multiproc_dir: str
    trusted_proxies: tuple[str, ...] = ()  # addresses/CIDRs whose X-Forwarded-For is believed
    metrics_allow: tuple[str, ...] = ()  # addresses/CIDRs that may read /metrics without a token
    secret_key_file: str = ""  # Fernet key for connector secrets; default keys/connectors.fernet in the data dir
    demo: bool = False  # set by `fleetgate up --demo` only
    demo_time_scale: float = 3600.0  # demo only: policy seconds per real second (soak, time to compliance)
    rollout_lease_seconds: int = 300  # how long a worker's claim on a rollout lasts if it dies mid-advance
    db_prepare: bool = True  # PostgreSQL: server-side binding and prepared statements (settings.py)
    huey_name: str = "fleetgate"  # the queue's name in Redis: installations sharing a Redis need their own
    # Admission in each web worker (api/gunicorn_conf.py, api/middleware.py): requests admitted at once
    # (running + waiting for a thread), the longest a request may wait for a thread, Retry-After; 0 = off.
    web_max_in_flight: int = 32
    web_queue_wait_ms: int = 500
    web_retry_after_s: int = 1
    oidc: OidcConfig = field(default_factory=lambda: OidcConfig())
    local_login: bool = True  # password sign-in; off leaves it to the break-glass account only
    break_glass_username: str = ""  # the one local account that may use its password when local_login is off
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))


def _secret_key(data_dir: Path) -> str:
    explicit = _env("SECRET_KEY")
    if explicit:
        return explicit
    # Generated once per installation and kept beside the database, so sessions survive restarts
    # without anybody baking a key into code.
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load() -> Config:
    data_dir = Path(_env("DATA_DIR", "./var")).resolve()
    return Config(
        data_dir=data_dir,
        database_url=_env("DATABASE_URL"),
        redis_url=_env("REDIS_URL"),
        debug=_env_bool("DEBUG", False),
        secret_key=_secret_key(data_dir),
        allowed_hosts=[h for h in _env("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h],
        max_body_bytes=_env_int("MAX_BODY_BYTES", 1024 * 1024),
        max_upload_bytes=_env_int("MAX_UPLOAD_BYTES", 2 * 1024 * 1024 * 1024),
        throttle_user=_env("THROTTLE_USER", "6000/min"),
        throttle_anon=_env("THROTTLE_ANON", "60/min"),
        throttle_login=_env("THROTTLE_LOGIN", "20/min"),
        token_default_days=_env_int("TOKEN_DEFAULT_DAYS", 90),
        notify_email=_env_bool("NOTIFY_EMAIL", False),
        db_pool_max=_env_int("DB_POOL_MAX", 10),
        log_level=_env("LOG_LEVEL", "INFO"),
        server_url=_env("SERVER", "http://127.0.0.1:8000"),
        token=_env("TOKEN"),
        # Set by `fleetgate up` for its gunicorn workers so /metrics aggregates every process.
        metrics_multiproc_dir=os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""),
        secret_key_file=_env("SECRET_KEY_FILE"),
        trusted_proxies=_env_networks("TRUSTED_PROXIES"),
        metrics_allow=_env_networks("METRICS_ALLOW"),
        demo=_env_bool("DEMO", False),
        demo_time_scale=float(_env("DEMO_TIME_SCALE", "3600") or 3600),
        rollout_lease_seconds=_env_int("ROLLOUT_LEASE_SECONDS", 300),
        db_prepare=_env_bool("DB_PREPARE", True),
        huey_name=_env("HUEY_NAME", "fleetgate") or "fleetgate",
        web_max_in_flight=_env_int("WEB_MAX_IN_FLIGHT", 32),
        web_queue_wait_ms=_env_int("WEB_QUEUE_WAIT_MS", 500),
        web_retry_after_s=max(1, _env_int("WEB_RETRY_AFTER", 1)),
        oidc=_oidc(),
        local_login=_env_bool("LOCAL_LOGIN", True),
        break_glass_username=_env("BREAK_GLASS_USERNAME").strip(),
    )


settings = load()
