"""Fanning out under load: the petition events that reach agencies share one transaction.

Each event handler hands its event to :class:`FanOutDesk` and waits until its batch is committed
(the broker's ack follows, so nothing is acknowledged before it is stored); the desk's flushers
write whatever has queued with :func:`consumers.accept_events`. A count event is announced for
every busy petition at the same tick, so they arrive together: one transaction for all of them
instead of one each with its four statements and its commit. If a batch fails, its events are
written again one at a time, so one bad event fails alone and is dead-lettered alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import Histogram

from services.notifications import consumers
from services.notifications.consumers import Accepted
from shared.batching import GroupCommit
from shared.dependencies import Database
from shared.metrics import ServiceMetrics, get_or_create

log = logging.getLogger(__name__)

MAX_BATCH = 100
FLUSHERS = 2  # one batch is written while the next one gathers


class FanOutDesk(DependencyProvider):
    def setup(self) -> None:
        databases = [d for d in self.container.dependencies if isinstance(d, Database)]
        if len(databases) != 1:
            raise RuntimeError("FanOutDesk needs the service's one Database dependency")
        self.database = databases[0]
        sizes = get_or_create(
            ServiceMetrics(self.container.service_name).registry,
            Histogram,
            "hub_notifications_fan_out_batch_size",
            "Agency-bound events written per transaction (group commit).",
            buckets=(1, 2, 5, 10, 20, 50, 100),
        )
        self.group: GroupCommit[Accepted, int] = GroupCommit(
            self._write, MAX_BATCH, FLUSHERS, on_batch=sizes.observe
        )

    def start(self) -> None:
        self.group.start(self.container.spawn_managed_thread)

    def stop(self) -> None:
        self.group.stop()

    def get_dependency(self, worker_ctx: Any) -> FanOutDesk:
        return self

    def accept(self, event: Accepted) -> int:
        """Deliveries queued for the event once its batch is committed, or raise its failure."""
        return self.group.submit(event)

    def _write(self, events: Sequence[Accepted]) -> list[int | BaseException]:
        try:
            return list(self._together(events))
        except Exception:
            if len(events) == 1:
                raise
            log.warning("a fan-out batch of %d failed; writing each alone", len(events))
        results: list[int | BaseException] = []
        for event in events:
            try:
                results.extend(self._together([event]))
            except Exception as exc:  # noqa: BLE001 - its handler applies the failure policy
                results.append(exc)
        return results

    def _together(self, events: Sequence[Accepted]) -> list[int]:
        uow = self.database.unit_of_work()
        try:
            return consumers.accept_events(uow, events)
        finally:
            uow.close()
