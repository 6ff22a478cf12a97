"""Queries over the petition authors' e-mail tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.notifications.mail.storage.tables import author_subscribers, petition_authors


def petition_for_update(conn: Any, petition_id: str) -> Any:
    return conn.execute(
        sa.select(petition_authors)
        .where(petition_authors.c.petition_id == petition_id)
        .with_for_update()
    ).first()


def set_key_hash(conn: Any, petition_id: str, key_hash: str) -> None:
    """A tombstone (the end seen first) learns its key, so its author hears "ended", not 404."""
    conn.execute(
        sa.update(petition_authors)
        .where(petition_authors.c.petition_id == petition_id)
        .where(petition_authors.c.author_key_hash.is_(None))
        .values(author_key_hash=key_hash)
    )


def mark_ended(conn: Any, petition_id: str, ended_as: str, now: datetime) -> None:
    """The first end wins (a hidden petition that then closes stays hidden)."""
    conn.execute(
        sa.update(petition_authors)
        .where(petition_authors.c.petition_id == petition_id)
        .where(petition_authors.c.ended_as.is_(None))
        .values(ended_as=ended_as, ended_at=now)
    )


def subscriber_for_update(conn: Any, petition_id: str) -> Any:
    return conn.execute(
        sa.select(author_subscribers)
        .where(author_subscribers.c.petition_id == petition_id)
        .with_for_update()
    ).first()


def forget_subscribers(conn: Any, where: Any) -> int:
    return int(conn.execute(sa.delete(author_subscribers).where(where)).rowcount)
