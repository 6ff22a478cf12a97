"""The inbox: every consumer applies each event at most once.

A consumer records ``(consumer, event_id)`` in the same transaction as the effects of the event;
a redelivered event (after ``kill -9``, a broker restart, or the relay re-sending) finds its row
and is skipped. Two workers racing on one event: the second blocks on the primary key until the
first commits, then inserts nothing and skips.
"""

from __future__ import annotations

import sqlalchemy as sa

from shared.clock import utcnow
from shared.db import UnitOfWork

_metadata_for_statements = sa.MetaData()


def inbox_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, default=utcnow),
    )


INBOX = inbox_table(_metadata_for_statements)


def first_delivery(uow: UnitOfWork, consumer: str, event_id: str) -> bool:
    """Claim ``event_id`` for ``consumer`` in the unit of work; False if already applied."""
    values = {"consumer": consumer, "event_id": event_id, "processed_at": utcnow()}
    return uow.insert_unless_exists(INBOX, values)


def first_deliveries(uow: UnitOfWork, consumer: str, event_ids: list[str]) -> set[str]:
    """Claim many events for ``consumer`` in one statement; the ids not already applied.

    NOTE: ids are claimed in sorted order, so two batches that share ids wait for each other
    instead of deadlocking.
    """
    if not event_ids:
        return set()
    now = utcnow()
    rows = [
        {"consumer": consumer, "event_id": event_id, "processed_at": now}
        for event_id in sorted(set(event_ids))
    ]
    # NOTE: not insert().on_conflict_do_nothing(): SQLAlchemy compiles that anew at every call,
    # and the receipts of every signature batch are claimed through here.
    return set(uow.inserted_unless_exist(INBOX, rows, "event_id"))
