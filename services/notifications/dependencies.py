"""The notifications service's own nameko dependencies: the delivery loop (:class:`DeliveryLoop`),
the mail loop (:class:`MailLoop`) and the fan-out desk (:class:`FanOutDesk`).

Each works through the service's one :class:`~shared.dependencies.Database`: one engine, one
connection pool per process, which the process's workers, the outbox relay and these loops share.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import eventlet
from eventlet.greenpool import GreenPool
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Histogram

from services.notifications.mail.adapters.smtp import SmtpServer
from services.notifications.mail.handlers import sending
from services.notifications.mail.schemas.letters import Letters
from services.notifications.mail.schemas.message import MailContext
from services.notifications.webhooks.adapters.limits import POOL_SIZE, SubscriptionLimits
from services.notifications.webhooks.commands import PublicEvent
from services.notifications.webhooks.domain import AttemptResult, Decision
from services.notifications.webhooks.handlers import attempts, fan_out
from shared.batching import GroupCommit, each_alone_if_together_fails
from shared.dependencies import Database, hub_settings
from shared.desks import GroupCommitDesk
from shared.loops import Waker, run_loop
from shared.metrics import get_or_create, registry_for

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
CONCURRENCY = POOL_SIZE
# NOTE: the lease (HUB_WEBHOOK_LEASE_SECONDS, default 60, at least 20) outlasts the 15 s send
# deadline plus the write-back, so a lease never expires mid-send.
STOP_GRACE_SECONDS = 5.0
# NOTE: a claim waits this long after its wake: every fanned-out event and every write-back
# wakes the loop, and under load a claim per wake cost much of the process's CPU
# (docs/capacity.md). The wakes of a burst share one claim, for at most this much latency.
WAKE_COALESCE_SECONDS = 0.01
# NOTE: one flusher: a write-back gathers every send that ended while the previous one was being
# written, and two batches of one process never wait for each other's locks.
WRITE_BACK_FLUSHERS = 1
MAIL_POLL_SECONDS = 1.0


def service_database(container: Any) -> Database:
    """The service's one Database dependency (its engine exists from ``start`` on)."""
    found = [d for d in container.dependencies if isinstance(d, Database)]
    if len(found) != 1:
        raise RuntimeError("notifications' loops need the service's one Database dependency")
    return found[0]


class DeliveryMetrics:
    def __init__(self, service: str) -> None:
        registry = registry_for(service)
        self.attempts = get_or_create(
            registry,
            Counter,
            f"hub_{service}_webhook_attempts_total",
            # NOTE: a subscription id is an agency endpoint's opaque id (a few hundred at most),
            # never a citizen: safe as a label, and what the per-subscription health panels need.
            "Webhook delivery attempts by subscription and outcome.",
            ["subscription", "outcome"],
        )
        self.duration = get_or_create(
            registry,
            Histogram,
            f"hub_{service}_webhook_attempt_duration_seconds",
            "Duration of webhook delivery attempts.",
        )
        self.write_back_size = get_or_create(
            registry,
            Histogram,
            f"hub_{service}_webhook_write_back_batch_size",
            "Delivery attempts written back per transaction (group commit).",
            buckets=(1, 2, 5, 10, 20, 50),
        )


class DeliveryLoop(DependencyProvider):
    """Sends due webhooks; the service gets it as a handle whose ``wake()`` says "look now".

    Every ~0.2 s (or at once when a handler committed new deliveries) it claims due deliveries
    (``FOR UPDATE SKIP LOCKED`` plus a lease, so replicas share the work) and sends each in its
    own green thread of a bounded pool. A subscription takes more than a few of the pool's slots
    only while a reserve stays free for the others, and never exceeds its rate limit
    (:mod:`~services.notifications.webhooks.adapters.limits`), so a slow, dead or backlogged
    endpoint never holds up anyone else's deliveries. Results are written back by a group commit
    (:class:`shared.batching.GroupCommit`): the sends that end while a write-back is under way
    share the next one. All state lives in the database: a restart resumes where the last
    process stopped (a send whose result was not yet written back is retried when its lease
    runs out).
    """

    def setup(self) -> None:
        self.settings = hub_settings(self.container.config)
        self.database = service_database(self.container)
        self.metrics = DeliveryMetrics(self.container.service_name)
        self.pool = GreenPool(CONCURRENCY)
        self.limits = SubscriptionLimits(CONCURRENCY)
        self.write_back: GroupCommit[attempts.Outcome, Decision] = GroupCommit(
            self._record,
            max_batch=CONCURRENCY,
            flushers=WRITE_BACK_FLUSHERS,
            on_batch=self.metrics.write_back_size.observe,
        )
        self._waker = Waker()
        self._stopping = False

    def start(self) -> None:
        self.write_back.start(self.container.spawn_managed_thread)
        self._thread = self.container.spawn_managed_thread(self._run)

    def stop(self) -> None:
        self._stopping = True
        self.wake()
        with eventlet.Timeout(STOP_GRACE_SECONDS, False):
            self._thread.wait()
            self.pool.waitall()  # what is still in flight after that is retried after its lease
        with eventlet.Timeout(STOP_GRACE_SECONDS, False):
            self.write_back.stop()  # writes what has queued

    def kill(self) -> None:
        self._stopping = True
        self.wake()
        for thread in list(self.pool.coroutines_running):
            thread.kill()

    def get_dependency(self, worker_ctx: Any) -> DeliveryLoop:
        return self

    def wake(self) -> None:
        self._waker.wake()

    def _run(self) -> None:
        stopping = lambda: self._stopping  # noqa: E731
        run_loop("delivery loop", self._step, stopping, self._waker, POLL_SECONDS)

    def _step(self) -> bool:
        eventlet.sleep(WAKE_COALESCE_SECONDS)
        return self.dispatch_due()

    def dispatch_due(self) -> bool:
        """Claim what the pool can take now and start sending; True if there may be more."""
        free = self.pool.free()
        if free == 0:
            return False
        admitted: list[str] = []

        def admit(subscription_id: str, rate: int | None) -> bool:
            if self.limits.admit(subscription_id, rate):
                admitted.append(subscription_id)
                return True
            return False

        try:
            with self.database.engine.begin() as conn:
                lease = self.settings.webhook_lease_seconds
                items = attempts.claim_due(conn, free, lease, self.limits.blocked(), admit)
        except Exception:
            for subscription_id in admitted:
                self.limits.release(subscription_id)
            raise
        for item in items:
            # NOTE: spawn, not spawn_n: kill() needs GreenThreads (greenlets have no kill()).
            self.pool.spawn(self._deliver, item)
        return len(items) == free

    def _deliver(self, item: Any) -> None:
        try:
            result = attempts.send(item, self.settings.webhook_allow_private)
            self.write_back.submit((item, result))
        except Exception:  # noqa: BLE001 - one delivery's failure must not end the others
            log.exception("delivery %s could not be recorded; retried after its lease", item.id)
            return
        finally:
            self.limits.release(item.subscription_id)
            self.wake()  # slots are free again (the wakes of a batch share one claim)
        self._count(item, result)

    def _record(self, outcomes: Sequence[attempts.Outcome]) -> list[Decision | BaseException]:
        """Write a batch back in one transaction; if that fails, each delivery alone, so one
        bad row costs only its own delivery a retry after its lease."""
        return each_alone_if_together_fails(self._record_together, outcomes, "write-backs")

    def _record_together(self, outcomes: Sequence[attempts.Outcome]) -> list[Decision]:
        uow = self.database.unit_of_work()
        try:
            scale = self.settings.webhook_retry_scale
            return attempts.record_attempts(uow, outcomes, retry_scale=scale)
        finally:
            uow.close()

    def _count(self, item: Any, result: AttemptResult) -> None:
        self.metrics.attempts.labels(str(item.subscription_id), result.outcome).inc()
        self.metrics.duration.observe(result.duration_ms / 1000)
        if not result.succeeded:
            log.info(
                "delivery %s attempt failed: %s %s",
                item.id,
                result.outcome,
                result.status_code or "",
            )


class MailLoop(DependencyProvider):
    """Sends queued e-mail (:mod:`~services.notifications.mail.handlers.sending`); the service
    gets it as a handle whose ``wake()`` says "now" and whose ``letters`` writes the mails."""

    def setup(self) -> None:
        self.settings = hub_settings(self.container.config)
        self.server = SmtpServer.from_url(self.settings.smtp_url)
        self.database = service_database(self.container)
        context = MailContext(self.settings.public_url(self.container.service_name))
        self.sender = context.sender
        self.letters = Letters(context)
        self.sent = get_or_create(
            registry_for(self.container.service_name),
            Counter,
            f"hub_{self.container.service_name}_mails_total",
            "Citizen e-mails by outcome (sent, retried, dropped).",
            ["outcome"],
        )
        self._waker = Waker()
        self._stopping = False

    def start(self) -> None:
        self._thread = self.container.spawn_managed_thread(self._run)

    def stop(self) -> None:
        self._stopping = True
        self.wake()
        with eventlet.Timeout(STOP_GRACE_SECONDS, False):
            self._thread.wait()

    def kill(self) -> None:
        self._stopping = True
        self.wake()

    def get_dependency(self, worker_ctx: Any) -> MailLoop:
        return self

    def wake(self) -> None:
        self._waker.wake()

    def _run(self) -> None:
        stopping = lambda: self._stopping  # noqa: E731
        more = lambda: self.send_due() >= sending.BATCH  # noqa: E731
        run_loop("mail loop", more, stopping, self._waker, MAIL_POLL_SECONDS)

    def send_due(self) -> int:
        """Send one batch of due mails; how many were handled."""
        uow = self.database.unit_of_work()
        try:
            return sending.send_due(uow, self.server, self.sender, self._count)
        finally:
            uow.close()

    def _count(self, outcome: str) -> None:
        self.sent.labels(outcome).inc()


class FanOutDesk(GroupCommitDesk[PublicEvent, int]):
    """Fanning out under load: the petition events that reach agencies share one transaction.

    Each event handler hands its event to the desk and waits until its batch is committed (the
    broker's ack follows, so nothing is acknowledged before it is stored); the desk's flushers
    write whatever has queued with :func:`~services.notifications.webhooks.handlers.fan_out.
    accept_events`. A count event is announced for every busy petition at the same tick, so
    they arrive together: one transaction for all of them. If a batch fails, its events are
    written again one at a time, so one bad event fails alone and is dead-lettered alone.
    """

    metric_name = "hub_notifications_fan_out_batch_size"
    metric_help = "Agency-bound events written per transaction (group commit)."
    max_batch = 100

    def accept(self, event: PublicEvent) -> int:
        """Deliveries queued for the event once its batch is committed, or raise its failure."""
        return self.submit(event)

    def write(self, events: Sequence[PublicEvent]) -> list[int | BaseException]:
        return each_alone_if_together_fails(self._together, events, "agency-bound events")

    def _together(self, events: Sequence[PublicEvent]) -> list[int]:
        uow = self.database.unit_of_work()
        try:
            return fan_out.accept_events(uow, events)
        finally:
            uow.close()
