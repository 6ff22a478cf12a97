"""Tables of the notifications service's database (migrations in ./migrations), and its queries.

- ``subscriptions``: an agency's webhook endpoint, its secret and its event-type filter;
- ``messages``: each public event received once (its id is the ``webhook-id`` agencies see);
- ``deliveries``: one per (message, subscription), with its state and next attempt time, so a
  restart loses nothing;
- ``delivery_attempts``: the attempt log agencies read;
- ``dead_letters``: bus messages we could not understand, kept for an operator.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.notifications.domain import ACTIVE, CANCELLED, DELETED, PENDING
from shared.inbox import inbox_table
from shared.outbox import BIGINT, outbox_table

metadata = sa.MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

TZ = sa.DateTime(timezone=True)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("agency_id", sa.String(255), nullable=False, index=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("event_types", sa.JSON, nullable=True),  # NULL: every event type
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("disabled_at", TZ, nullable=True),
    sa.Column("disabled_reason", sa.String(200), nullable=True),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),  # the envelope id
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("occurred_at", sa.String(40), nullable=False),  # the envelope's RFC 3339 time
    sa.Column("subject", sa.String(100), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("received_at", TZ, nullable=False),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(36), sa.ForeignKey("messages.id"), nullable=False),
    sa.Column("subscription_id", sa.String(36), sa.ForeignKey("subscriptions.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempt_count", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", TZ, nullable=True),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("last_attempt_at", TZ, nullable=True),
    sa.UniqueConstraint("message_id", "subscription_id", name="uq_deliveries_message_subscription"),
    sa.Index("ix_deliveries_subscription", "subscription_id", "id"),
    sa.Index(
        "ix_deliveries_due",
        "next_attempt_at",
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    ),
)

delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", BIGINT, sa.ForeignKey("deliveries.id"), nullable=False, index=True),
    sa.Column("attempted_at", TZ, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(30), nullable=False),
    sa.Column("response_excerpt", sa.Text, nullable=False),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("consumer", sa.String(100), nullable=False),
    sa.Column("routing_key", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("received_at", TZ, nullable=False),
)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; every datetime we store is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


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


def agency_subscriptions(conn: Any, agency_id: str) -> list[Any]:
    return list(
        conn.execute(
            sa.select(subscriptions)
            .where(subscriptions.c.agency_id == agency_id, subscriptions.c.status != DELETED)
            .order_by(subscriptions.c.created_at, subscriptions.c.id)
        )
    )


def active_subscriptions(conn: Any) -> list[Any]:
    return list(
        conn.execute(
            sa.select(subscriptions.c.id, subscriptions.c.event_types)
            .where(subscriptions.c.status == ACTIVE)
            .order_by(subscriptions.c.created_at, subscriptions.c.id)
        )
    )


def end_subscription(
    conn: Any, subscription_id: str, status: str, reason: str, now: datetime
) -> None:
    """Disable or delete a subscription and cancel what it still had to receive."""
    conn.execute(
        sa.update(subscriptions)
        .where(subscriptions.c.id == subscription_id)
        .values(status=status, disabled_at=now, disabled_reason=reason)
    )
    conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.subscription_id == subscription_id, deliveries.c.status == PENDING)
        .values(status=CANCELLED, next_attempt_at=None)
    )


# Deliveries


def recent_deliveries(conn: Any, subscription_id: str, limit: int) -> list[Any]:
    return list(
        conn.execute(
            sa.select(deliveries, messages.c.event_type)
            .join(messages, messages.c.id == deliveries.c.message_id)
            .where(deliveries.c.subscription_id == subscription_id)
            .order_by(deliveries.c.id.desc())
            .limit(limit)
        )
    )


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


def claim_due(conn: Connection, now: datetime, limit: int, lease: timedelta) -> list[Any]:
    """Take up to ``limit`` due deliveries for this process.

    NOTE: a claim is a lease, not a held lock: ``next_attempt_at`` moves past the send timeout so
    no replica (nor this loop) takes them again while in flight, and a process that dies mid-send
    only delays them by the lease. ``SKIP LOCKED`` lets replicas claim side by side.
    """
    ids = list(
        conn.execute(
            sa.select(deliveries.c.id)
            .where(deliveries.c.status == PENDING, deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not ids:
        return []
    conn.execute(
        sa.update(deliveries).where(deliveries.c.id.in_(ids)).values(next_attempt_at=now + lease)
    )
    return list(
        conn.execute(
            sa.select(
                deliveries.c.id,
                deliveries.c.attempt_count,
                deliveries.c.subscription_id,
                subscriptions.c.url,
                subscriptions.c.secret,
                messages.c.id.label("message_id"),
                messages.c.event_type,
                messages.c.occurred_at,
                messages.c.subject,
                messages.c.data,
            )
            .join(messages, messages.c.id == deliveries.c.message_id)
            .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
            .where(deliveries.c.id.in_(ids))
            .order_by(deliveries.c.id)
        )
    )
