"""nameko dependency providers every service uses.

- :class:`Config`: the hub's :class:`~shared.config.Settings`, as the composition root built them.
- :class:`Correlation`: the correlation id of each worker, for its log lines and what it causes.
- :class:`Database`: engine per container, a :class:`~shared.db.UnitOfWork` per worker, and the
  outbox relay as a managed thread.
- :class:`AccessTokens`: the shared token verifier, audience = this service's public URL, and
  the deny-list of tokens identity revoked (:mod:`shared.denylist`), refreshed by a managed thread.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider

from shared import runtime
from shared.auth import JWKSCache, TokenInvalid, TokenVerifier
from shared.bus import EnvelopePublisher
from shared.config import Settings
from shared.db import UnitOfWork, make_engine
from shared.denylist import REFRESH_SECONDS, RevocationFeed
from shared.logs import clean_correlation_id, new_correlation_id, set_correlation_id
from shared.loops import Waker, run_loop
from shared.metrics import ServiceMetrics
from shared.outbox import OutboxRelay
from shared.web import HttpError

log = logging.getLogger(__name__)

SETTINGS_KEY = "HUB_SETTINGS"
RELAY_STOP_SECONDS = 10
WATCH_INTERVAL_SECONDS = 5.0
OUTBOX_KEEP_SENT = timedelta(days=1)
PRUNE_INTERVAL_SECONDS, PRUNE_BATCHES = 300.0, 20  # at most 100,000 rows every 5 minutes


def hub_settings(config: dict[str, Any]) -> Settings:
    settings = config.get(SETTINGS_KEY)
    if not isinstance(settings, Settings):
        raise RuntimeError(f"the nameko config lacks {SETTINGS_KEY}: start services with `hub run`")
    return settings


def nameko_config(settings: Settings, process: str) -> dict[str, Any]:
    return {
        "AMQP_URI": settings.amqp_uri,
        "WEB_SERVER_ADDRESS": f"{settings.bind_host}:{settings.port(process)}",
        "max_workers": 50,
        "parent_calls_tracked": 10,
        "SERVICE_CONTAINER_CLS": runtime.container_class(),
        SETTINGS_KEY: settings,
    }


class Config(DependencyProvider):
    def get_dependency(self, worker_ctx: Any) -> Settings:
        return hub_settings(self.container.config)


class Correlation(DependencyProvider):
    """Makes every worker's correlation id current (for logs) and carried onwards.

    The id comes from the HTTP header (see :mod:`shared.web`), the RPC or event context, or is new.
    nameko propagates ``worker_ctx.data`` to the RPC calls and events the worker makes.
    """

    def get_dependency(self, worker_ctx: Any) -> str:
        # NOTE: nameko injects dependencies before calling worker_setup; both run in the worker.
        return self._ensure(worker_ctx)

    def worker_setup(self, worker_ctx: Any) -> None:
        self._ensure(worker_ctx)

    def worker_teardown(self, worker_ctx: Any) -> None:
        set_correlation_id(None)

    @staticmethod
    def _ensure(worker_ctx: Any) -> str:
        cid = clean_correlation_id(worker_ctx.data.get("correlation_id")) or new_correlation_id()
        worker_ctx.data["correlation_id"] = cid
        set_correlation_id(cid)
        return cid


class Database(DependencyProvider):
    """The service's database: a unit of work per worker and the outbox relay."""

    def __init__(self, relay: bool = True, service: str | None = None) -> None:
        self.relay_enabled = relay
        self.service_override = service
        self._units: dict[Any, UnitOfWork] = {}

    def setup(self) -> None:
        self.service = self.service_override or self.container.service_name
        self.settings = hub_settings(self.container.config)
        self.engine = make_engine(self.settings.database_url(self.service))
        self.metrics = ServiceMetrics(self.service)
        self._waker = Waker()
        self._stopping = False

    def start(self) -> None:
        if self.relay_enabled:
            publish = EnvelopePublisher(self.settings.amqp_uri, self.container.service_name)
            self.relay = OutboxRelay(self.engine, self._counted(publish))
            self._relay_thread = self.container.spawn_managed_thread(self._run_relay)
        self.container.spawn_managed_thread(self._watch)

    def _counted(self, publish: Any) -> Any:
        def publish_and_count(envelopes: list[dict[str, Any]]) -> None:
            with self.metrics.relay_publish_duration.time():
                publish(envelopes)
            self.metrics.relay_published.inc(len(envelopes))

        return publish_and_count

    def _run_relay(self) -> None:
        run_loop(
            f"{self.service} outbox relay",
            self.relay.relay_step,
            lambda: self._stopping,
            self._waker,
            self.settings.outbox_poll_interval,
        )

    def _watch(self) -> None:
        """Keep the outbox and pool gauges current for the metrics scrape; now and then, delete
        the events sent more than OUTBOX_KEEP_SENT ago."""
        last_prune = 0.0
        while not self._stopping:
            try:
                if self.relay_enabled and hasattr(self, "relay"):
                    if time.monotonic() - last_prune >= PRUNE_INTERVAL_SECONDS:
                        last_prune = time.monotonic()
                        self._prune_sent()
                    backlog, age = self.relay.backlog()
                    self.metrics.outbox_backlog.set(backlog)
                    self.metrics.outbox_oldest_age.set(age)
                pool = self.engine.pool
                self.metrics.db_pool_in_use.set(getattr(pool, "checkedout", lambda: 0)())
                self.metrics.db_pool_size.set(getattr(pool, "size", lambda: 0)())
            except Exception:  # noqa: BLE001 - a database blip must not end the watch
                log.warning("could not read the outbox backlog", exc_info=True)
            eventlet.sleep(WATCH_INTERVAL_SECONDS)

    def _prune_sent(self) -> None:
        for _ in range(PRUNE_BATCHES):
            if self._stopping or self.relay.prune_sent(OUTBOX_KEEP_SENT) == 0:
                return
            eventlet.sleep(0)

    def wake_relay(self) -> None:
        self._waker.wake()

    def stop(self) -> None:
        """Let the relay finish the batch it is publishing, then close the connections."""
        self._stopping = True
        self.wake_relay()
        thread = getattr(self, "_relay_thread", None)
        if thread is not None:
            with eventlet.Timeout(RELAY_STOP_SECONDS, False):
                thread.wait()
        self.engine.dispose()

    def kill(self) -> None:
        self._stopping = True
        self.engine.dispose()

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.service, self.wake_relay)

    def get_dependency(self, worker_ctx: Any) -> UnitOfWork:
        uow = self.unit_of_work()
        self._units[worker_ctx] = uow
        return uow

    def worker_teardown(self, worker_ctx: Any) -> None:
        uow = self._units.pop(worker_ctx, None)
        if uow is not None:
            uow.close()  # rolls back whatever the worker did not commit


def service_database(container: Any) -> Database:
    """The service's Database provider: one engine, one pool, for all it does."""
    for provider in container.dependencies:
        if isinstance(provider, Database):
            return provider
    raise RuntimeError(f"{container.service_name} has no Database dependency")


class AccessTokens(DependencyProvider):
    """Verifies hub access tokens meant for this service and refuses those identity revoked;
    refusals become 401 JSON errors."""

    def setup(self) -> None:
        settings = hub_settings(self.container.config)
        metrics = ServiceMetrics(self.container.service_name)
        issuer = settings.public_url("identity")
        self.verifier = TokenVerifier(
            issuer=issuer,
            audience=settings.public_url(self.container.service_name),
            jwks=JWKSCache(
                issuer,
                on_refresh=lambda _iss: metrics.jwks_refreshes.inc(),
                fetch_base=settings.internal_url("identity"),
            ),
            on_failure=lambda reason: metrics.token_failures.labels(reason).inc(),
        )
        self._revoked_count = metrics.token_failures.labels("revoked")
        self._waker = Waker()
        self._stopping = False
        self._feed: RevocationFeed | None = None
        self._first_load = eventlet.semaphore.Semaphore()

    @property
    def revocations(self) -> RevocationFeed:
        """The deny-list, read through the service's one engine (its Database's, made at set-up:
        every provider is set up before any starts or serves)."""
        if self._feed is None:
            self._feed = RevocationFeed(service_database(self.container).engine)
        return self._feed

    def start(self) -> None:
        self._load_first()  # before the first request, if the database answers
        self.container.spawn_managed_thread(self._keep_revocations)

    def _load_first(self) -> bool:
        """Load the deny-list once if it is not yet; whether it is loaded. NOTE: a process's
        extensions start together, so a request may come before ``start`` has loaded it: it
        waits for that one load (milliseconds) rather than be refused."""
        feed = self.revocations
        with self._first_load:
            if not feed.loaded:
                try:
                    feed.refresh()
                except Exception:  # noqa: BLE001 - the loop retries; tokens wait for it (503)
                    log.warning("could not load the revoked tokens yet", exc_info=True)
        return feed.loaded

    def _keep_revocations(self) -> None:
        run_loop(
            f"{self.container.service_name} revocations",
            self.revocations.refresh,
            lambda: self._stopping,
            self._waker,
            REFRESH_SECONDS,
        )

    def refresh_now(self) -> None:
        """This process just stored revocations: refuse them now rather than at the next tick."""
        self._waker.wake()

    def ready(self) -> bool:
        return self.revocations.loaded

    def stop(self) -> None:
        self._stopping = True
        self._waker.wake()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> AccessTokens:
        return self

    def claims(self, token: str) -> dict[str, Any]:
        try:
            claims = self.verifier.verify(token)
        except TokenInvalid as exc:
            raise _invalid_token(str(exc)) from None
        if not self.revocations.loaded and not self._load_first():
            raise HttpError(
                503,
                "unavailable",
                "the service is briefly unavailable; try again",
                {"Retry-After": "2"},
            )
        if self.revocations.revoked.refuses(claims):
            self._revoked_count.inc()
            raise _invalid_token("the token was revoked")
        return claims


def _invalid_token(message: str) -> HttpError:
    return HttpError(
        401, "invalid_token", message, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )
