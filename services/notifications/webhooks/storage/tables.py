"""The webhooks' tables (on the service's one metadata; migrations in ../../migrations):

- ``subscriptions``: an agency's endpoint, its secrets (the previous one signs too for 24 h after
  a rotation), its event-type filter, its rate limit, and its health (failing since, throttled);
- ``deliveries``: one per (message, subscription), with its state and next attempt time, so a
  restart loses nothing;
- ``delivery_attempts``: the attempt log agencies read.

The messages they deliver are the shared ``messages`` table (services.notifications.storage).
"""

from __future__ import annotations

import sqlalchemy as sa

from services.notifications.storage.tables import TZ, metadata
from shared.outbox import BIGINT

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("agency_id", sa.String(255), nullable=False, index=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("event_types", sa.JSON, nullable=True),  # NULL: every event type
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("previous_secret", sa.String(100), nullable=True),
    sa.Column("previous_secret_expires_at", TZ, nullable=True),
    sa.Column("rate_limit", sa.Integer, nullable=True),  # deliveries per second; NULL: default
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("disabled_at", TZ, nullable=True),
    sa.Column("disabled_reason", sa.String(200), nullable=True),
    sa.Column("failing_since", TZ, nullable=True),  # first failure since the last success
    sa.Column("throttled_until", TZ, nullable=True),  # 429/502/503/504: hold every delivery
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(36), sa.ForeignKey("messages.id"), nullable=False),
    sa.Column("subscription_id", sa.String(36), sa.ForeignKey("subscriptions.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempt_count", sa.Integer, nullable=False),  # in the current round of retries
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
