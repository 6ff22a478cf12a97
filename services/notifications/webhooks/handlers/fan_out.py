"""Bus consumers' use cases: the fan-out of public petition events to subscriptions.

Failures follow the hub's policy (shared.consumers): transient ones are requeued, the others
dead-lettered for an operator (``GET /api/dead-letters``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from services.notifications.storage.tables import deliveries, messages
from services.notifications.web.errors import InvalidEvent
from services.notifications.webhooks.domain.delivery import wants
from services.notifications.webhooks.storage import queries as store
from shared.consumers import consume as shared_consume
from shared.db import UnitOfWork
from shared.envelope import Envelope, utcnow
from shared.inbox import first_deliveries

log = logging.getLogger(__name__)

FAN_OUT = "notifications.fan_out"


def consume(
    uow: UnitOfWork, consumer: str, routing_key: str, body: Any, apply: Callable[[], Any]
) -> Any:
    """The hub's consumer failure policy (shared.consumers), with this service's invalid events."""
    return shared_consume(uow, consumer, routing_key, body, apply, invalid=(InvalidEvent,))


Accepted = tuple[Envelope, Mapping[str, Any]]  # an event and its public data


def accept_events(uow: UnitOfWork, events: Sequence[Accepted]) -> list[int]:
    """Queue one delivery per interested subscription for each event, once per event id, for
    many events in one transaction: one statement each to claim them, store them and queue their
    deliveries, one read of the subscriptions. For each event, how many deliveries it queued (0
    if already applied, or given twice).

    Paused subscriptions get theirs too (held until resumed); disabled ones do not (an agency
    recovers those with ``POST .../recover`` after resuming).
    """
    unique: dict[str, Accepted] = {}
    for envelope, data in events:
        unique.setdefault(envelope.id, (envelope, data))
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
                "id": envelope.id,
                "event_type": envelope.type,
                "occurred_at": envelope.time,
                "subject": str(data["petition_id"]),
                "data": dict(data),
                "received_at": now,
            }
            for envelope, data in fresh
        ],
    )
    targets = store.fan_out_targets(uow)
    queued: dict[str, int] = {}
    rows = []
    for envelope, _ in fresh:
        wanted = [sub.id for sub in targets if wants(sub.event_types, envelope.type)]
        queued[envelope.id] = len(wanted)
        rows += [store.pending_delivery(envelope.id, sub_id, now) for sub_id in wanted]
    if rows:
        uow.execute(sa.insert(deliveries), rows)
    uow.commit()
    return [queued.pop(envelope.id, 0) for envelope, _ in events]
