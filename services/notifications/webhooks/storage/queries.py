"""Queries over the webhook tables (subscriptions, deliveries, attempts) and the messages they
deliver.

Every function takes a connection or a unit of work (anything with ``execute``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.notifications.storage.tables import TZ, messages
from services.notifications.webhooks.domain import (
    ACTIVE,
    CANCELLED,
    DELETED,
    FAILED,
    PAUSED,
    PENDING,
)
from services.notifications.webhooks.storage.tables import (
    deliveries,
    delivery_attempts,
    subscriptions,
)

Cursor = tuple[datetime, str]

# Subscriptions


def own_subscription(conn: Any, agency_id: str, subscription_id: str) -> Any:
    """The agency's live subscription, or None (another agency's is as good as absent)."""
    return conn.execute(
        sa.select(subscriptions).where(
            subscriptions.c.id == subscription_id,
            subscriptions.c.agency_id == agency_id,
            subscriptions.c.status != DELETED,
        )
    ).first()


def agency_subscriptions(conn: Any, agency_id: str, limit: int, after: Cursor | None) -> list[Any]:
    """One page of the agency's subscriptions, oldest first (keyset pagination)."""
    query = sa.select(subscriptions).where(
        subscriptions.c.agency_id == agency_id, subscriptions.c.status != DELETED
    )
    if after is not None:
        moment, last_id = after
        query = query.where(
            sa.tuple_(subscriptions.c.created_at, subscriptions.c.id)
            > sa.tuple_(sa.literal(moment, TZ), sa.literal(last_id))
        )
    order = (subscriptions.c.created_at, subscriptions.c.id)
    return list(conn.execute(query.order_by(*order).limit(limit)))


def fan_out_targets(conn: Any) -> list[Any]:
    """Subscriptions that get new messages: active ones, and paused ones (held until resumed)."""
    return list(
        conn.execute(
            sa.select(subscriptions.c.id, subscriptions.c.event_types)
            .where(subscriptions.c.status.in_((ACTIVE, PAUSED)))
            .order_by(subscriptions.c.created_at, subscriptions.c.id)
        )
    )


def update_subscription(conn: Any, subscription_id: str, **values: Any) -> None:
    conn.execute(
        sa.update(subscriptions).where(subscriptions.c.id == subscription_id).values(**values)
    )


def end_subscription(
    conn: Any, subscription_id: str, status: str, reason: str, now: datetime
) -> None:
    """Disable or delete a subscription and cancel what it still had to receive."""
    update_subscription(
        conn, subscription_id, status=status, disabled_at=now, disabled_reason=reason
    )
    conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.subscription_id == subscription_id, deliveries.c.status == PENDING)
        .values(status=CANCELLED, next_attempt_at=None)
    )


def subscription_health(conn: Any, subscription_id: str) -> Any:
    return conn.execute(
        sa.select(
            subscriptions.c.status, subscriptions.c.failing_since, subscriptions.c.agency_id
        ).where(subscriptions.c.id == subscription_id)
    ).first()


def mark_failing(conn: Any, subscription_id: str, now: datetime) -> None:
    conn.execute(
        sa.update(subscriptions)
        .where(subscriptions.c.id == subscription_id, subscriptions.c.failing_since.is_(None))
        .values(failing_since=now)
    )


def mark_healthy(conn: Any, subscription_ids: list[str]) -> None:
    """Clear the failure clock of subscriptions whose deliveries succeeded (one statement)."""
    # NOTE: guarded, so a busy endpoint's successes do not all write (and lock) its row.
    conn.execute(
        sa.update(subscriptions)
        .where(subscriptions.c.id.in_(subscription_ids), subscriptions.c.failing_since.is_not(None))
        .values(failing_since=None)
    )


def throttle(conn: Any, subscription_id: str, until: datetime) -> None:
    throttled = subscriptions.c.throttled_until
    conn.execute(
        sa.update(subscriptions)
        .where(
            subscriptions.c.id == subscription_id,
            sa.or_(throttled.is_(None), throttled < until),
        )
        .values(throttled_until=until)
    )


# Deliveries


def recent_deliveries(conn: Any, subscription_id: str, limit: int, before: int | None) -> list[Any]:
    query = (
        sa.select(deliveries, messages.c.event_type)
        .join(messages, messages.c.id == deliveries.c.message_id)
        .where(deliveries.c.subscription_id == subscription_id)
    )
    if before is not None:
        query = query.where(deliveries.c.id < before)
    return list(conn.execute(query.order_by(deliveries.c.id.desc()).limit(limit)))


def attempts_of(conn: Any, delivery_ids: list[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        rows = conn.execute(
            sa.select(delivery_attempts)
            .where(delivery_attempts.c.delivery_id.in_(delivery_ids))
            .order_by(delivery_attempts.c.id)
        )
        for row in rows:
            found[row.delivery_id].append(row)
    return found


def delivery_of(conn: Any, subscription_id: str, message_id: str) -> Any:
    return conn.execute(
        sa.select(deliveries.c.id).where(
            deliveries.c.subscription_id == subscription_id,
            deliveries.c.message_id == message_id,
        )
    ).first()


def pending_delivery(message_id: str, subscription_id: str, now: datetime) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "subscription_id": subscription_id,
        "status": PENDING,
        "attempt_count": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def requeue(conn: Any, where: Any, now: datetime) -> int:
    """Start a new round of attempts (the log keeps the old ones); how many deliveries."""
    result = conn.execute(
        sa.update(deliveries)
        .where(where)
        .values(status=PENDING, attempt_count=0, next_attempt_at=now)
    )
    return int(result.rowcount)


def failed_since(subscription_id: str, since: datetime) -> Any:
    return sa.and_(
        deliveries.c.subscription_id == subscription_id,
        deliveries.c.status.in_((FAILED, CANCELLED)),
        deliveries.c.created_at >= since,
    )


def messages_missed(conn: Any, subscription_id: str, since: datetime) -> list[Any]:
    """Messages received since ``since`` that never got a delivery for this subscription."""
    has_delivery = sa.exists().where(
        deliveries.c.message_id == messages.c.id,
        deliveries.c.subscription_id == subscription_id,
    )
    return list(
        conn.execute(
            sa.select(messages.c.id, messages.c.event_type)
            .where(messages.c.received_at >= since, ~has_delivery)
            .order_by(messages.c.received_at)
        )
    )


def due_candidates(conn: Any, now: datetime, limit: int, blocked: list[str]) -> list[Any]:
    """Due deliveries of active, unthrottled subscriptions, locked for this claim (what the
    limits need to choose; :func:`claimed` loads what the chosen ones need to be sent).

    NOTE: ``blocked`` (subscriptions at their in-flight cap or rate limit) is left out of the
    query itself, so one endpoint's backlog cannot fill every candidate row and hide the others.
    """
    query = (
        sa.select(deliveries.c.id, deliveries.c.subscription_id, subscriptions.c.rate_limit)
        .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
        .where(
            deliveries.c.status == PENDING,
            deliveries.c.next_attempt_at <= now,
            subscriptions.c.status == ACTIVE,
            sa.or_(
                subscriptions.c.throttled_until.is_(None), subscriptions.c.throttled_until <= now
            ),
        )
    )
    if blocked:
        query = query.where(deliveries.c.subscription_id.not_in(blocked))
    query = query.order_by(deliveries.c.next_attempt_at, deliveries.c.id).limit(limit)
    return list(conn.execute(query.with_for_update(skip_locked=True, of=deliveries)))


_CLAIMED = (
    sa.select(
        deliveries.c.id,
        deliveries.c.attempt_count,
        deliveries.c.subscription_id,
        subscriptions.c.agency_id,
        subscriptions.c.url,
        subscriptions.c.secret,
        subscriptions.c.previous_secret,
        subscriptions.c.previous_secret_expires_at,
        subscriptions.c.rate_limit,
        messages.c.id.label("message_id"),
        messages.c.event_type,
        messages.c.occurred_at,
        messages.c.subject,
        messages.c.data,
    )
    .join(messages, messages.c.id == deliveries.c.message_id)
    .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
    .where(deliveries.c.id.in_(sa.bindparam("ids", expanding=True)))
)


def claimed(conn: Any, delivery_ids: list[int]) -> list[Any]:
    """What sending the chosen deliveries needs, in the order of ``delivery_ids``.

    NOTE: loaded apart from the candidates: most candidates are not chosen (a subscription at its
    cap), and the message data and secrets were most of what the claim read and decoded.
    """
    if not delivery_ids:
        return []
    rows = {row.id: row for row in conn.execute(_CLAIMED, {"ids": delivery_ids})}
    return [rows[i] for i in delivery_ids]


def lease(conn: Any, delivery_ids: list[int], until: datetime) -> None:
    if delivery_ids:
        conn.execute(
            sa.update(deliveries)
            .where(deliveries.c.id.in_(delivery_ids))
            .values(next_attempt_at=until)
        )
