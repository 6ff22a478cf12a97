"""The transactional outbox and its relay.

Each service's database has an ``outbox`` table; a unit of work writes its events there in the
same transaction as its changes. The relay reads unsent rows with ``FOR UPDATE SKIP LOCKED`` (so
several replicas share the work without sending a row twice at the same time), publishes each to
the service's topic exchange ``<service>.events`` with publisher confirms, then marks them sent.
A crash between publish and mark re-sends: consumers are idempotent through their inbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.clock import as_utc, utcnow

log = logging.getLogger(__name__)

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_metadata_for_statements = sa.MetaData()


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "outbox",
        metadata,
        sa.Column("seq", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("envelope", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=utcnow),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Index(
            "ix_outbox_unsent",
            "seq",
            postgresql_where=sa.text("sent_at IS NULL"),
            sqlite_where=sa.text("sent_at IS NULL"),
        ),
    )


OUTBOX = outbox_table(_metadata_for_statements)

# The relay's two statements, built once (it runs after every commit that emitted events).
_UNSENT = (
    sa.select(OUTBOX.c.seq, OUTBOX.c.envelope)
    .where(OUTBOX.c.sent_at.is_(None))
    .order_by(OUTBOX.c.seq)
    .limit(sa.bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_MARK_SENT = (
    sa.update(OUTBOX)
    .where(OUTBOX.c.seq.in_(sa.bindparam("seqs", expanding=True)))
    .values(sent_at=sa.bindparam("sent_at"))
)


def outbox_insert() -> sa.Insert:
    return sa.insert(OUTBOX)


Publish = Callable[[list[dict[str, Any]]], None]


class OutboxRelay:
    """Moves committed events from the outbox to the broker.

    ``publish`` receives a batch of envelopes (dicts) and returns only when the broker confirmed
    all of them; if it raises, the batch stays unsent and is retried.
    """

    def __init__(self, engine: Engine, publish: Publish, batch_size: int = 200) -> None:
        self.engine = engine
        self.publish = publish
        self.batch_size = batch_size

    def relay_step(self) -> bool:
        """One batch; True if a full batch went (more may be waiting)."""
        return self.relay_once() >= self.batch_size

    def relay_once(self) -> int:
        """Publish one batch of unsent events; returns how many were sent."""
        with self.engine.begin() as conn:
            rows = conn.execute(_UNSENT, {"limit": self.batch_size}).all()
            if not rows:
                return 0
            self.publish([row.envelope for row in rows])
            conn.execute(_MARK_SENT, {"seqs": [row.seq for row in rows], "sent_at": utcnow()})
        return len(rows)

    def prune_sent(self, older_than: timedelta, limit: int = 5000) -> int:
        """Delete at most ``limit`` events sent more than ``older_than`` ago; how many went.

        Sent rows only serve an operator looking at what left recently; without this the table
        grows with every batch of signatures and every count announcement, for ever.
        """
        cutoff = utcnow() - older_than
        oldest_sent = (
            sa.select(OUTBOX.c.seq)
            .where(OUTBOX.c.sent_at.is_not(None), OUTBOX.c.sent_at < cutoff)
            .order_by(OUTBOX.c.seq)
            .limit(limit)
        )
        with self.engine.begin() as conn:
            result = conn.execute(sa.delete(OUTBOX).where(OUTBOX.c.seq.in_(oldest_sent)))
        return int(result.rowcount)

    def backlog(self) -> tuple[int, float]:
        """How many events wait, and the age in seconds of the oldest."""
        with self.engine.connect() as conn:
            count, oldest = conn.execute(
                sa.select(sa.func.count(), sa.func.min(OUTBOX.c.created_at)).where(
                    OUTBOX.c.sent_at.is_(None)
                )
            ).one()
        if not oldest:
            return count, 0.0
        return count, max(0.0, (utcnow() - as_utc(oldest)).total_seconds())
