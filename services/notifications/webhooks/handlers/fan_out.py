"""The fan-out of public petition events to the subscriptions that want them.

Events that arrive together are written together (services.notifications.dependencies'
FanOutDesk gathers them): one statement each to claim them, store them and queue their
deliveries, one read of the subscriptions.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from services.notifications.storage.tables import messages
from services.notifications.webhooks.commands import PublicEvent
from services.notifications.webhooks.domain import event_subject, wants
from services.notifications.webhooks.storage import queries as store
from services.notifications.webhooks.storage.tables import deliveries
from shared.clock import utcnow
from shared.db import UnitOfWork
from shared.inbox import first_deliveries

FAN_OUT = "notifications.fan_out"


def accept_events(uow: UnitOfWork, events: Sequence[PublicEvent]) -> list[int]:
    """Queue one delivery per interested subscription for each event, once per event id, for
    many events in one transaction. For each event, how many deliveries it queued (0 if already
    applied, or given twice).

    Paused subscriptions get theirs too (held until resumed); disabled ones do not (an agency
    recovers those with ``POST .../recover`` after resuming).
    """
    unique: dict[str, PublicEvent] = {}
    for event in events:
        unique.setdefault(event.id, event)
    new = first_deliveries(uow, FAN_OUT, list(unique))
    if not new:
        uow.rollback()
        return [0] * len(events)
    now = utcnow()
    fresh = [unique[event_id] for event_id in unique if event_id in new]
    uow.execute(
        sa.insert(messages),
        [
            {
                "id": event.id,
                "event_type": event.type,
                "occurred_at": event.time,
                "subject": event_subject(event.type, event.data),
                "data": dict(event.data),
                "received_at": now,
            }
            for event in fresh
        ],
    )
    targets = store.fan_out_targets(uow)
    queued: dict[str, int] = {}
    rows = []
    for event in fresh:
        wanted = [sub.id for sub in targets if wants(sub.event_types, event.type)]
        queued[event.id] = len(wanted)
        rows += [store.pending_delivery(event.id, sub_id, now) for sub_id in wanted]
    if rows:
        uow.execute(sa.insert(deliveries), rows)
    uow.commit()
    return [queued.pop(event.id, 0) for event in events]
