"""Use cases of the notifications service: one function each, through a unit of work (HTTP and
bus) or a connection of the delivery loop."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from services.notifications import storage
from services.notifications.domain import (
    ACTIVE,
    DELETED,
    DISABLED,
    PENDING,
    AttemptResult,
    Decision,
    Target,
    decide,
    new_secret,
    wants,
)
from services.notifications.errors import SubscriptionNotFound
from services.notifications.storage import (
    dead_letters,
    deliveries,
    delivery_attempts,
    messages,
    subscriptions,
)
from shared.db import UnitOfWork
from shared.envelope import Envelope, utcnow
from shared.inbox import first_delivery

CONSUMER = "notifications.fan_out"
MAX_DEAD_LETTER_CHARS = 64 * 1024


@dataclass(frozen=True)
class NewSubscription:
    agency_id: str
    url: str
    target: Target
    event_types: list[str] | None


# Subscriptions (HTTP)


def create_subscription(
    uow: UnitOfWork, command: NewSubscription, check_target: Callable[[Target], None]
) -> dict[str, Any]:
    """Store the subscription; the answer is the only time the secret is shown."""
    check_target(command.target)
    row = {
        "id": str(uuid.uuid4()),
        "agency_id": command.agency_id,
        "url": command.url,
        "event_types": command.event_types,
        "secret": new_secret(),
        "status": ACTIVE,
        "created_at": utcnow(),
    }
    uow.execute(sa.insert(subscriptions).values(row))
    uow.commit()
    return row


def list_subscriptions(uow: UnitOfWork, agency_id: str) -> list[Any]:
    return storage.agency_subscriptions(uow, agency_id)


def get_subscription(uow: UnitOfWork, agency_id: str, subscription_id: str) -> Any:
    row = storage.own_subscription(uow, agency_id, subscription_id)
    if row is None:
        raise SubscriptionNotFound("no such subscription")
    return row


def delete_subscription(uow: UnitOfWork, agency_id: str, subscription_id: str) -> None:
    get_subscription(uow, agency_id, subscription_id)
    storage.end_subscription(uow, subscription_id, DELETED, "deleted by the agency", utcnow())
    uow.commit()


def subscription_deliveries(
    uow: UnitOfWork, agency_id: str, subscription_id: str, limit: int
) -> list[tuple[Any, list[Any]]]:
    """The subscription's latest deliveries, newest first, each with its attempts."""
    get_subscription(uow, agency_id, subscription_id)
    rows = storage.recent_deliveries(uow, subscription_id, limit)
    attempts = storage.attempts_of(uow, [row.id for row in rows])
    return [(row, attempts[row.id]) for row in rows]


# Events from the bus


def accept_event(uow: UnitOfWork, envelope: Envelope, data: Mapping[str, Any]) -> int:
    """Queue one delivery per interested subscription, once per event id; how many were queued."""
    if not first_delivery(uow, CONSUMER, envelope.id):
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
        _pending(envelope.id, sub.id, now)
        for sub in storage.active_subscriptions(uow)
        if wants(sub.event_types, envelope.type)
    ]
    if rows:
        uow.execute(sa.insert(deliveries), rows)
    uow.commit()
    return len(rows)


def _pending(message_id: str, subscription_id: str, now: datetime) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "subscription_id": subscription_id,
        "status": PENDING,
        "attempt_count": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def record_dead_letter(uow: UnitOfWork, routing_key: str, body: Any, reason: str) -> None:
    raw = json.dumps(body, default=str, ensure_ascii=False)[:MAX_DEAD_LETTER_CHARS]
    uow.execute(
        sa.insert(dead_letters).values(
            consumer=CONSUMER,
            routing_key=routing_key,
            reason=reason,
            body=raw,
            received_at=utcnow(),
        )
    )
    uow.commit()


# Delivery (the loop's connections)


def claim_due(conn: Any, limit: int, lease_seconds: float) -> list[Any]:
    return storage.claim_due(conn, utcnow(), limit, timedelta(seconds=lease_seconds))


def record_attempt(
    conn: Any, item: Any, result: AttemptResult, rng: random.Random | None = None
) -> Decision:
    """Log the attempt and move the delivery on: done, retried later, or failed for good."""
    now = utcnow()
    attempts_made = item.attempt_count + 1
    decision = decide(attempts_made, result, rng)
    conn.execute(
        sa.insert(delivery_attempts).values(
            delivery_id=item.id,
            attempted_at=now,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            outcome=result.outcome,
            response_excerpt=result.excerpt,
        )
    )
    retry_at = now + timedelta(seconds=decision.retry_in) if decision.retry_in is not None else None
    # NOTE: only a still-pending delivery moves on: one cancelled mid-flight stays cancelled.
    conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == item.id, deliveries.c.status == PENDING)
        .values(
            status=decision.status,
            attempt_count=attempts_made,
            next_attempt_at=retry_at,
            last_attempt_at=now,
        )
    )
    if decision.disable_subscription:
        storage.end_subscription(
            conn, item.subscription_id, DISABLED, "the endpoint answered 410 Gone", now
        )
    return decision
