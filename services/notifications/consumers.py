"""Bus consumers' use cases: the fan-out of public petition events to subscriptions.

Failures follow the hub's policy (shared.consumers): transient ones are requeued, the others
dead-lettered for an operator (``GET /api/dead-letters``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from services.notifications import webhook_store as store
from services.notifications.domain import wants
from services.notifications.errors import InvalidEvent
from services.notifications.storage import deliveries, messages
from shared.consumers import consume as shared_consume
from shared.db import UnitOfWork
from shared.envelope import Envelope, utcnow
from shared.inbox import first_delivery

log = logging.getLogger(__name__)

FAN_OUT = "notifications.fan_out"


def consume(
    uow: UnitOfWork, consumer: str, routing_key: str, body: Any, apply: Callable[[], Any]
) -> Any:
    """The hub's consumer failure policy (shared.consumers), with this service's invalid events."""
    return shared_consume(uow, consumer, routing_key, body, apply, invalid=(InvalidEvent,))


def accept_event(uow: UnitOfWork, envelope: Envelope, data: Mapping[str, Any]) -> int:
    """Queue one delivery per interested subscription, once per event id; how many were queued.

    Paused subscriptions get theirs too (held until resumed); disabled ones do not (an agency
    recovers those with ``POST .../recover`` after resuming).
    """
    if not first_delivery(uow, FAN_OUT, envelope.id):
        uow.rollback()
        return 0
    now = utcnow()
    uow.execute(
        sa.insert(messages).values(
            id=envelope.id,
            event_type=envelope.type,
            occurred_at=envelope.time,
            subject=str(data["petition_id"]),
            data=dict(data),
            received_at=now,
        )
    )
    rows = [
        store.pending_delivery(envelope.id, sub.id, now)
        for sub in store.fan_out_targets(uow)
        if wants(sub.event_types, envelope.type)
    ]
    if rows:
        uow.execute(sa.insert(deliveries), rows)
    uow.commit()
    return len(rows)
