"""Settings from the environment.

Nothing is read at import time: call :func:`load_settings` (the composition root does) and pass the
result along. Every setting has a default that runs the whole hub on one laptop.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

SERVICES = ("identity", "petitions", "notifications", "transparency")
PROCESSES = (*SERVICES, "mock-idp")

DEFAULT_PORTS = {
    "identity": 8001,
    "petitions": 8002,
    "notifications": 8003,
    "mock-idp": 8004,
    "transparency": 8005,
}
DEFAULT_METRICS_PORTS = {
    "identity": 9101,
    "petitions": 9102,
    "notifications": 9103,
    "mock-idp": 9104,
    "transparency": 9105,
}
DEFAULT_MAX_CONNECTIONS = 1000  # HTTP connections per process (HUB_MAX_CONNECTIONS)
MAX_PROCESSES = 32  # per service and machine: one per core is the useful most
# The environment-variable prefix of each process (the contract's names).
ENV_PREFIX = {
    "identity": "IDENTITY",
    "petitions": "PETITIONS",
    "notifications": "NOTIFICATIONS",
    "mock-idp": "MOCK_IDP",
    "transparency": "TRANSPARENCY",
}
DEV_SUBJECT_SECRET = "development-only-subject-secret-change-me"  # noqa: S105 (refused in production)
# The petitions pages' OAuth client at identity; registered by `hub db upgrade` outside production.
DEV_WEB_CLIENT_ID = "petitions-web"
DEV_WEB_CLIENT_SECRET = "development-only-petitions-web-secret-change-me"  # noqa: S105 (refused in production)


# Requests a minute (0 = no limit), per process; see shared/ratelimit.py.
RATE_LIMIT_DEFAULTS = {
    "login_per_address": 300,  # authorization requests started from one address
    # wrong client secrets at the token endpoint, per (client id, caller address); also the
    # per-client count past which identity warns that a registered client is under attack
    "token_failures_per_client": 20,
    "token_failures_per_address": 60,
    "operator_login_failures_per_address": 10,  # failed sign-ins at petitions' /moderation/login
    "sign_per_address": 600,  # signatures (and attempts) from one address: many share a NAT
    "sign_per_client": 120_000,  # through one service provider (2,000/s)
}


class SettingsError(ValueError):
    """A setting has a value the hub cannot use; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    data_dir: Path = Path("var")
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    bind_host: str = "127.0.0.1"
    ports: Mapping[str, int] = field(default_factory=dict)
    metrics_ports: Mapping[str, int] = field(default_factory=dict)
    process_counts: Mapping[str, int] = field(default_factory=dict)
    public_urls: Mapping[str, str] = field(default_factory=dict)
    internal_urls: Mapping[str, str] = field(default_factory=dict)
    database_urls: Mapping[str, str] = field(default_factory=dict)
    upstream_idps_file: Path | None = None
    mock_idp_identities_file: Path | None = None
    webhook_allow_private: bool = False
    smtp_url: str = "smtp://127.0.0.1:1025"
    queue_type: str = "classic"
    runtime: str = "hub"  # see shared/runtime
    log_format: str = "text"
    log_level: str = "INFO"
    subject_secret: str = DEV_SUBJECT_SECRET
    access_token_ttl: int = 600
    outbox_poll_interval: float = 0.5
    petition_thresholds: tuple[int, ...] = (10_000, 100_000)
    petition_duration_days: int = 182
    petition_min_sponsors: int = 0
    signature_retention_days: int = 180
    webhook_retry_scale: float = 1.0
    webhook_lease_seconds: int = 60
    rate_limits: Mapping[str, int] = field(default_factory=dict)
    trusted_proxy_hops: int = 0
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    petitions_web_client_id: str = DEV_WEB_CLIENT_ID
    petitions_web_client_secret: str = DEV_WEB_CLIENT_SECRET
    # The transparency log (services/transparency): a file holding the note signing key (None:
    # development generates one under data_dir), the origin line of its checkpoints ("" = the
    # public URL's host and port, then "/tlog"), and its witnesses' YAML file (None: unwitnessed).
    transparency_signing_key: Path | None = None
    transparency_log_origin: str = ""
    transparency_witnesses: Path | None = None

    @property
    def production(self) -> bool:
        return self.env == "production"

    def port(self, process: str) -> int:
        return self.ports[process]

    def metrics_port(self, process: str) -> int:
        return self.metrics_ports[process]

    def process_count(self, process: str) -> int:
        """How many processes serve ``process`` on its one port (see hub/process_group.py)."""
        return self.process_counts.get(process, 1)

    def public_url(self, process: str) -> str:
        return self.public_urls[process]

    def database_url(self, service: str) -> str:
        return self.database_urls[service]

    @property
    def log_origin(self) -> str:
        """The transparency log's origin: TRANSPARENCY_LOG_ORIGIN, else ``<host>:<port>/tlog`` of
        its public URL (the port always written, as the contract's example shows)."""
        if self.transparency_log_origin:
            return self.transparency_log_origin
        parts = urlsplit(self.public_urls["transparency"])
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"{parts.hostname}:{port}/tlog"

    def internal_url(self, process: str) -> str:
        """Where other services reach ``process`` (inside a cluster), default its public URL."""
        return self.internal_urls.get(process) or self.public_urls[process]

    def require_production_secrets(self, process: str) -> None:
        """Refuse development secrets in production (only identity uses the subject secret)."""
        if self.production and process == "identity" and self.subject_secret == DEV_SUBJECT_SECRET:
            raise SettingsError("HUB_SUBJECT_SECRET must be a private random value in production")
        if (
            self.production
            and process == "petitions"
            and self.petitions_web_client_secret == DEV_WEB_CLIENT_SECRET
        ):
            raise SettingsError("PETITIONS_WEB_CLIENT_SECRET must be the web client's own secret")
        if self.production and process == "transparency" and self.transparency_signing_key is None:
            raise SettingsError(
                "TRANSPARENCY_SIGNING_KEY must name the file holding the log's signing key in"
                " production (a development key is generated only outside production)"
            )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("HUB_DATA_DIR", "var"))
    ports = {p: _int(env, f"{ENV_PREFIX[p]}_PORT", DEFAULT_PORTS[p]) for p in DEFAULT_PORTS}
    metrics_ports = {
        p: _int(env, f"{ENV_PREFIX[p]}_METRICS_PORT", DEFAULT_METRICS_PORTS[p])
        for p in DEFAULT_PORTS
    }
    process_counts = {
        s: _int_between(env, f"{ENV_PREFIX[s]}_PROCESSES", 1, 1, MAX_PROCESSES) for s in SERVICES
    }
    public_urls = {
        p: env.get(f"{ENV_PREFIX[p]}_PUBLIC_URL", f"http://127.0.0.1:{ports[p]}").rstrip("/")
        for p in DEFAULT_PORTS
    }
    database_urls = {
        s: env.get(f"{ENV_PREFIX[s]}_DATABASE_URL", f"sqlite:///{data_dir.resolve() / s}.db")
        for s in SERVICES
    }
    settings = Settings(
        env=env.get("HUB_ENV", "development"),
        data_dir=data_dir,
        amqp_uri=env.get("HUB_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
        bind_host=env.get("HUB_BIND_HOST", "127.0.0.1"),
        ports=ports,
        metrics_ports=metrics_ports,
        process_counts=process_counts,
        public_urls=public_urls,
        internal_urls={"identity": env.get("IDENTITY_INTERNAL_URL", "").rstrip("/")},
        database_urls=database_urls,
        upstream_idps_file=_path(env, "HUB_UPSTREAM_IDPS"),
        mock_idp_identities_file=_path(env, "MOCK_IDP_IDENTITIES"),
        webhook_allow_private=_bool(env, "HUB_WEBHOOK_ALLOW_PRIVATE", False),
        smtp_url=env.get("HUB_SMTP_URL", "smtp://127.0.0.1:1025"),
        log_format=_choice(env, "HUB_LOG_FORMAT", "text", ("text", "json")),
        queue_type=_choice(env, "HUB_QUEUE_TYPE", "classic", ("classic", "quorum")),
        runtime=_choice(env, "HUB_RUNTIME", "hub", ("hub", "stock")),
        log_level=env.get("HUB_LOG_LEVEL", "INFO").upper(),
        subject_secret=env.get("HUB_SUBJECT_SECRET", DEV_SUBJECT_SECRET),
        access_token_ttl=_int(env, "HUB_ACCESS_TOKEN_TTL", 600),
        petition_thresholds=_thresholds(env, "HUB_PETITION_THRESHOLDS", (10_000, 100_000)),
        petition_duration_days=_int(env, "HUB_PETITION_DURATION_DAYS", 182),
        petition_min_sponsors=_int(env, "HUB_PETITION_MIN_SPONSORS", 0),
        signature_retention_days=_int(env, "HUB_SIGNATURE_RETENTION_DAYS", 180),
        webhook_retry_scale=_float(env, "HUB_WEBHOOK_RETRY_SCALE", 1.0),
        webhook_lease_seconds=max(20, _int(env, "HUB_WEBHOOK_LEASE_SECONDS", 60)),
        rate_limits={
            name: _int(env, f"HUB_RATE_LIMIT_{name.upper()}", default)
            for name, default in RATE_LIMIT_DEFAULTS.items()
        },
        trusted_proxy_hops=_int(env, "HUB_TRUSTED_PROXY_HOPS", 0),
        max_connections=_int_between(
            env, "HUB_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS, 1, 1_000_000
        ),
        petitions_web_client_id=env.get("PETITIONS_WEB_CLIENT_ID", DEV_WEB_CLIENT_ID),
        petitions_web_client_secret=env.get("PETITIONS_WEB_CLIENT_SECRET", DEV_WEB_CLIENT_SECRET),
        transparency_signing_key=_path(env, "TRANSPARENCY_SIGNING_KEY"),
        transparency_log_origin=env.get("TRANSPARENCY_LOG_ORIGIN", "").strip(),
        transparency_witnesses=_path(env, "TRANSPARENCY_WITNESSES"),
    )
    return settings


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def _int_between(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = _int(env, name, default)
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be more than 0")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be on or off (1/0, true/false), not {raw!r}")


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = env.get(name, default) or default
    if raw not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {raw!r}")
    return raw


def _thresholds(env: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        values = tuple(sorted({int(part) for part in raw.split(",") if part.strip()}))
    except ValueError:
        raise SettingsError(f"{name} must be comma-separated whole numbers, not {raw!r}") from None
    if not values or values[0] <= 0:
        raise SettingsError(f"{name} must list positive signature counts")
    return values


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name)
    return Path(raw) if raw else None


def settings_fields() -> list[str]:
    return [f.name for f in fields(Settings)]
