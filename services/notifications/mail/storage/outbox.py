"""The mail outbox: rendered mails waiting for the SMTP server, claimed with ``FOR UPDATE SKIP
LOCKED`` plus a lease (like webhook deliveries), deleted once sent or given up."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from services.notifications.mail.storage.tables import mail_outbox


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
