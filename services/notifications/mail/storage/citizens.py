"""Queries over the citizen e-mail tables (receipts, outcomes, subscribers, the mail outbox)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from services.notifications.storage.tables import (
    mail_outbox,
    messages,
    outcome_subscribers,
    petition_outcomes,
    signature_receipts,
)


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


def enqueue(conn: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(mail_outbox), rows)


def outbox_row(kind: str, recipient: str, message: str, now: datetime) -> dict[str, Any]:
    return {
        "kind": kind,
        "recipient": recipient,
        "message": message,
        "attempt_count": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def claim_mails(conn: Any, now: datetime, limit: int, lease: timedelta) -> list[Any]:
    """Due mails, leased to this process (like webhook deliveries: see ``claim_due``)."""
    rows = list(
        conn.execute(
            sa.select(mail_outbox)
            .where(mail_outbox.c.next_attempt_at <= now)
            .order_by(mail_outbox.c.next_attempt_at, mail_outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if rows:
        conn.execute(
            sa.update(mail_outbox)
            .where(mail_outbox.c.id.in_([row.id for row in rows]))
            .values(next_attempt_at=now + lease)
        )
    return rows


def forget_mail(conn: Any, mail_id: int) -> None:
    """Sent (or given up): the address and the message go."""
    conn.execute(sa.delete(mail_outbox).where(mail_outbox.c.id == mail_id))


def retry_mail(conn: Any, mail_id: int, attempts: int, at: datetime, error: str) -> None:
    conn.execute(
        sa.update(mail_outbox)
        .where(mail_outbox.c.id == mail_id)
        .values(attempt_count=attempts, next_attempt_at=at, last_error=error[:200])
    )
