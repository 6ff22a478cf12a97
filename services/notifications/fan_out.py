"""Fanning out under load: the petition events that reach agencies share one transaction.

Each event handler hands its event to :class:`FanOutDesk` and waits until its batch is committed
(the broker's ack follows, so nothing is acknowledged before it is stored); the desk's flushers
write whatever has queued with :func:`consumers.accept_events`. A count event is announced for
every busy petition at the same tick, so they arrive together: one transaction for all of them
instead of one each with its four statements and its commit. If a batch fails, its events are
written again one at a time, so one bad event fails alone and is dead-lettered alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.notifications.webhooks.handlers import fan_out as consumers
from services.notifications.webhooks.handlers.fan_out import Accepted
from shared.batching import each_alone_if_together_fails
from shared.desks import GroupCommitDesk


class FanOutDesk(GroupCommitDesk[Accepted, int]):
    metric_name = "hub_notifications_fan_out_batch_size"
    metric_help = "Agency-bound events written per transaction (group commit)."
    max_batch = 100

    def accept(self, event: Accepted) -> int:
        """Deliveries queued for the event once its batch is committed, or raise its failure."""
        return self.submit(event)

    def write(self, events: Sequence[Accepted]) -> list[int | BaseException]:
        return each_alone_if_together_fails(self._together, events, "agency-bound events")

    def _together(self, events: Sequence[Accepted]) -> list[int]:
        uow = self.database.unit_of_work()
        try:
            return consumers.accept_events(uow, events)
        finally:
            uow.close()
