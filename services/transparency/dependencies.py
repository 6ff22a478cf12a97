"""The transparency service's nameko dependencies: the log's signing key and its witnesses
(:class:`LogWriter`), and the advisory lock that lets one process integrate at a time.

The signing key is a file holding a C2SP note private key (``PRIVATE+KEY+<origin>+...``), named
by ``TRANSPARENCY_SIGNING_KEY``; this process alone reads it. Outside production, without one, a
key is generated under ``HUB_DATA_DIR/transparency/signing-key-<origin>`` (0600) and kept.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hub_verify import note as notes
from hub_verify.errors import VerifyError
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram

from services.transparency import schemas
from services.transparency.adapters.witnesses import WitnessPool
from services.transparency.handlers import integration, publishing
from services.transparency.storage import log as stored
from shared.clock import utcnow
from shared.config import Settings, SettingsError
from shared.db import UnitOfWork
from shared.dependencies import Database, hub_settings, service_database
from shared.metrics import get_or_create, registry_for

log = logging.getLogger(__name__)

DEV_KEY_DIR = Path("transparency")
# NOTE: any fixed number: the lock names "the integrator" in the transparency database.
ADVISORY_LOCK_KEY = 0x746C6F67  # "tlog"
HELD_KINDS = ("open", "sign", "withdraw", "close", "erase")


def signing_key(settings: Settings) -> tuple[notes.Signer, str]:
    """The log's signer, named by its origin, and its verifier key; development makes one if
    none is configured."""
    path = settings.transparency_signing_key
    if path is None:
        if settings.production:
            raise SettingsError("TRANSPARENCY_SIGNING_KEY is required in production")
        path = settings.data_dir / dev_key_file(settings.log_origin)
        if not path.exists():
            _write_private(path, notes.generate_key(settings.log_origin)[0])
            log.info("transparency: generated a development signing key in %s", path)
    try:
        skey = path.read_text(encoding="ascii").strip()
        signer = notes.Signer(skey)
    except OSError as exc:
        raise SettingsError(
            f"TRANSPARENCY_SIGNING_KEY: cannot read {path}: {exc.strerror}"
        ) from None
    except (VerifyError, UnicodeDecodeError):
        raise SettingsError(f"TRANSPARENCY_SIGNING_KEY: {path} holds no note signing key") from None
    if signer.name != settings.log_origin:
        raise SettingsError(
            f"the signing key in {path} is named {signer.name!r}, but the log's origin is"
            f" {settings.log_origin!r} (TRANSPARENCY_LOG_ORIGIN): the key name must be the origin"
        )
    return signer, notes.vkey_of(skey)


def dev_key_file(origin: str) -> Path:
    """Development's key for this origin: a key is named by its origin, so another port or URL
    is another log with a key of its own, never a refusal to start."""
    return DEV_KEY_DIR / ("signing-key-" + re.sub(r"[^A-Za-z0-9.-]", "_", origin))


def _write_private(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(content + "\n")


def witness_pool(settings: Settings) -> WitnessPool:
    path = settings.transparency_witnesses
    if path is None:
        return WitnessPool([], 0)
    try:
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"TRANSPARENCY_WITNESSES: cannot read {path}: {exc.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raise SettingsError(f"TRANSPARENCY_WITNESSES: {path} is not YAML") from None
    witnesses, quorum = schemas.witnesses(data)
    return WitnessPool(witnesses, quorum)


class LogMetrics:
    def __init__(self, service: str) -> None:
        registry = registry_for(service)
        prefix = f"hub_{service}"
        self.integrated = get_or_create(
            registry, Counter, f"{prefix}_leaves_integrated_total", "Leaves added to the log."
        )
        self.pending = get_or_create(
            registry, Gauge, f"{prefix}_pending_leaves", "Leaves received, not yet in the log."
        )
        self.tree_size = get_or_create(
            registry, Gauge, f"{prefix}_tree_size", "Leaves in the log (integrated)."
        )
        self.published_size = get_or_create(
            registry, Gauge, f"{prefix}_published_tree_size", "Leaves of the published checkpoint."
        )
        self.duration = get_or_create(
            registry,
            Histogram,
            f"{prefix}_integration_seconds",
            "Seconds an integration round took (integrate, sign, cosign, publish).",
        )
        # NOTE: kinds only (five values), never a petition or a commitment
        self.held = get_or_create(
            registry,
            Gauge,
            f"{prefix}_held_leaves",
            "Pending leaves the last round held back (waiting for what they refer to), by kind.",
            ["kind"],
        )
        self.oldest_held = get_or_create(
            registry,
            Gauge,
            f"{prefix}_oldest_held_leaf_age_seconds",
            "Age of the oldest leaf the last round held back (0: none held).",
        )
        self.published_at = get_or_create(
            registry,
            Gauge,
            f"{prefix}_checkpoint_published_timestamp_seconds",
            "When the last checkpoint was published (Unix time; 0: never).",
        )
        self.dead = get_or_create(
            registry,
            Counter,
            f"{prefix}_leaves_dead_lettered_total",
            "Pending leaves that can never enter the log, moved to dead letters.",
        )
        self.witness_failures = get_or_create(
            registry,
            Counter,
            f"{prefix}_witness_failures_total",
            "Witness requests that brought no valid cosignature, by witness.",
            ["witness"],
        )


class LogWriter(DependencyProvider):
    """Integrates pending leaves and publishes checkpoints, one process at a time."""

    def setup(self) -> None:
        settings = hub_settings(self.container.config)
        self.origin = settings.log_origin
        self.signer, self.vkey = signing_key(settings)
        self.cosigners = witness_pool(settings)
        self.metrics = LogMetrics(self.container.service_name)

    @property
    def database(self) -> Database:
        return service_database(self.container)

    def get_dependency(self, worker_ctx: Any) -> LogWriter:
        return self

    def round(self) -> None:
        """One round: integrate what may be, then sign and publish (if it is this process's
        turn: the database's advisory lock)."""
        started = time.monotonic()
        with self._turn() as mine:
            if not mine:
                return
            uow = self.database.unit_of_work()
            try:
                # read at call time: tests make rounds small
                done = integration.integrate(uow, limit=integration.ROUND_LIMIT)
                self.metrics.integrated.inc(done.integrated)
                self.metrics.dead.inc(done.dead)
                self.metrics.tree_size.set(done.size)
                self._held(done)
                outcome = publishing.publish_checkpoint(
                    uow, self.signer, self.origin, self.cosigners, utcnow()
                )
                if outcome is not None:
                    if outcome.published:
                        self.metrics.published_size.set(outcome.size)
                    for name in outcome.failed:
                        self.metrics.witness_failures.labels(name).inc()
                pending, published_at = _pending(uow)
                self.metrics.pending.set(pending)
                if published_at is not None:
                    self.metrics.published_at.set(published_at.timestamp())
            finally:
                uow.close()
        self.metrics.duration.observe(time.monotonic() - started)

    def _held(self, done: integration.Round) -> None:
        held = done.held_by_kind()
        now = utcnow()
        oldest = 0.0
        for kind in HELD_KINDS:
            count, since = held.get(kind, (0, None))
            self.metrics.held.labels(kind).set(count)
            if since is not None:
                if since.tzinfo is None:  # SQLite
                    since = since.replace(tzinfo=now.tzinfo)
                oldest = max(oldest, (now - since).total_seconds())
        self.metrics.oldest_held.set(oldest)

    @contextlib.contextmanager
    def _turn(self) -> Iterator[bool]:
        engine = self.database.engine
        if engine.dialect.name != "postgresql":
            yield True  # SQLite: development, one process
            return
        with engine.connect() as connection:
            key = {"key": ADVISORY_LOCK_KEY}
            mine = bool(
                connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), key).scalar()
            )
            connection.commit()
            try:
                yield mine
            finally:
                if mine:
                    connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), key)
                    connection.commit()


def _pending(uow: UnitOfWork) -> tuple[int, datetime | None]:
    """How many leaves are pending, and when a checkpoint was last published."""
    try:
        published_at = stored.state(uow).published_at
        if published_at is not None and published_at.tzinfo is None:  # SQLite
            published_at = published_at.replace(tzinfo=UTC)
        return stored.pending_count(uow), published_at
    finally:
        uow.rollback()
