"""Use cases of the agencies' subscriptions API: one function each, through a unit of work.

The fan-out of petition events is in :mod:`.fan_out`, the delivery loop's steps in
:mod:`.attempts`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.notifications.webhooks.commands import NewSubscription
from services.notifications.webhooks.domain import (
    ACTIVE,
    DELETED,
    DISABLED,
    MAX_RECOVERY_DAYS,
    PAUSED,
    ROTATION_OVERLAP,
    Conflict,
    DeliveryNotFound,
    SubscriptionNotFound,
    Target,
    new_secret,
    wants,
)
from services.notifications.webhooks.storage import queries as store
from services.notifications.webhooks.storage.tables import deliveries, subscriptions
from shared.clock import as_utc, utcnow
from shared.db import UnitOfWork


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    more: bool


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
        "rate_limit": command.rate_limit,
        "secret": new_secret(),
        "status": ACTIVE,
        "created_at": utcnow(),
    }
    uow.execute(sa.insert(subscriptions).values(row))
    uow.commit()
    return row


def list_subscriptions(
    uow: UnitOfWork, agency_id: str, limit: int, after: store.Cursor | None
) -> Page:
    rows = store.agency_subscriptions(uow, agency_id, limit + 1, after)
    return Page(rows[:limit], len(rows) > limit)


def get_subscription(uow: UnitOfWork, agency_id: str, subscription_id: str) -> Any:
    row = store.own_subscription(uow, agency_id, subscription_id)
    if row is None:
        raise SubscriptionNotFound("no such subscription")
    return row


def delete_subscription(uow: UnitOfWork, agency_id: str, subscription_id: str) -> None:
    get_subscription(uow, agency_id, subscription_id)
    store.end_subscription(uow, subscription_id, DELETED, "deleted by the agency", utcnow())
    uow.commit()


def pause_subscription(uow: UnitOfWork, agency_id: str, subscription_id: str) -> Any:
    """Hold deliveries (new messages still queue for it); a disabled one must be resumed first."""
    row = get_subscription(uow, agency_id, subscription_id)
    if row.status == DISABLED:
        raise Conflict(
            "a disabled subscription cannot be paused: resume it", "subscription_disabled"
        )
    store.update_subscription(uow, subscription_id, status=PAUSED)
    uow.commit()
    return get_subscription(uow, agency_id, subscription_id)


def resume_subscription(uow: UnitOfWork, agency_id: str, subscription_id: str) -> Any:
    """Deliver again, with a clean bill of health; held deliveries go out at once."""
    get_subscription(uow, agency_id, subscription_id)
    store.update_subscription(
        uow,
        subscription_id,
        status=ACTIVE,
        disabled_at=None,
        disabled_reason=None,
        failing_since=None,
        throttled_until=None,
    )
    uow.commit()
    return get_subscription(uow, agency_id, subscription_id)


def rotate_secret(uow: UnitOfWork, agency_id: str, subscription_id: str) -> dict[str, Any]:
    """A new secret; the current one keeps signing (alongside) for 24 h."""
    row = get_subscription(uow, agency_id, subscription_id)
    now = utcnow()
    rotated = {
        "secret": new_secret(),
        "previous_secret": row.secret,
        "previous_secret_expires_at": now + ROTATION_OVERLAP,
    }
    store.update_subscription(uow, subscription_id, **rotated)
    uow.commit()
    return rotated


def subscription_deliveries(
    uow: UnitOfWork, agency_id: str, subscription_id: str, limit: int, before: int | None
) -> tuple[list[tuple[Any, list[Any]]], bool]:
    """The subscription's deliveries, newest first, each with its attempts; and whether more."""
    get_subscription(uow, agency_id, subscription_id)
    rows = store.recent_deliveries(uow, subscription_id, limit + 1, before)
    page = rows[:limit]
    attempts = store.attempts_of(uow, [row.id for row in page])
    return [(row, attempts[row.id]) for row in page], len(rows) > limit


def redeliver(uow: UnitOfWork, agency_id: str, subscription_id: str, message_id: str) -> None:
    """Send one message again (same webhook-id), with a fresh round of retries."""
    get_subscription(uow, agency_id, subscription_id)
    found = store.delivery_of(uow, subscription_id, message_id)
    if found is None:
        raise DeliveryNotFound("this subscription never received that message")
    store.requeue(uow, deliveries.c.id == found.id, utcnow())
    uow.commit()


def recover(uow: UnitOfWork, agency_id: str, subscription_id: str, since: datetime) -> int:
    """Send again every message since ``since`` that failed, was cancelled, or was never queued
    (while the subscription was disabled); how many."""
    row = get_subscription(uow, agency_id, subscription_id)
    now = utcnow()
    if (now - since).days >= MAX_RECOVERY_DAYS:
        raise Conflict(f"recovery reaches back at most {MAX_RECOVERY_DAYS} days", "since_too_old")
    count = store.requeue(uow, store.failed_since(subscription_id, since), now)
    start = max(since, as_utc(row.created_at) or since)
    missed = [
        store.pending_delivery(m.id, subscription_id, now)
        for m in store.messages_missed(uow, subscription_id, start)
        if wants(row.event_types, m.event_type)
    ]
    if missed:
        uow.execute(sa.insert(deliveries), missed)
    uow.commit()
    return count + len(missed)
