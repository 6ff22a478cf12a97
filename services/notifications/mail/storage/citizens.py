"""Queries over citizens' e-mail tables (receipts, outcomes, outcome subscribers), and the title
a petition was published with (every mail about it names it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.notifications.mail.storage.tables import (
    outcome_subscribers,
    petition_outcomes,
    signature_receipts,
)
from services.notifications.storage.tables import messages


def receipt_for_update(conn: Any, signature_id: str) -> Any:
    return conn.execute(
        sa.select(signature_receipts)
        .where(signature_receipts.c.signature_id == signature_id)
        .with_for_update()
    ).first()


def add_receipts(uow: Any, rows: list[dict[str, Any]]) -> int:
    """Receipts not yet known (nor withdrawn: a tombstone keeps its place); how many were new."""
    return int(uow.insert_many_unless_exist(signature_receipts, rows))


def mark_email_requested(conn: Any, signature_id: str, now: datetime) -> None:
    conn.execute(
        sa.update(signature_receipts)
        .where(signature_receipts.c.signature_id == signature_id)
        .values(email_requested_at=now)
    )


def mark_withdrawn(conn: Any, signature_id: str, now: datetime) -> None:
    conn.execute(
        sa.update(signature_receipts)
        .where(signature_receipts.c.signature_id == signature_id)
        .values(withdrawn_at=now)
    )


def petition_outcome(conn: Any, petition_id: str) -> Any:
    return conn.execute(
        sa.select(petition_outcomes).where(petition_outcomes.c.petition_id == petition_id)
    ).first()


def petition_title(conn: Any, petition_id: str) -> str | None:
    """The title the petition was published with (from the public event we received)."""
    data = conn.execute(
        sa.select(messages.c.data)
        .where(messages.c.subject == petition_id, messages.c.event_type == "petition.published")
        .order_by(messages.c.received_at.desc())
        .limit(1)
    ).scalar()
    title = data.get("title") if isinstance(data, dict) else None
    return title if isinstance(title, str) else None


def subscribers_of(conn: Any, petition_id: str) -> list[Any]:
    return list(
        conn.execute(
            sa.select(outcome_subscribers)
            .where(outcome_subscribers.c.petition_id == petition_id)
            .with_for_update()
        )
    )


def forget_subscribers(conn: Any, where: Any) -> int:
    return int(conn.execute(sa.delete(outcome_subscribers).where(where)).rowcount)
