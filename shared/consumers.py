"""What a consumer's failure means, in one place for every service.

A failure the broker can cure by redelivering (the database or the broker unreachable, a
deadlock, a serialization failure) is raised again, so nameko requeues the event (after a short
pause, so an outage is not a hot loop); the inbox makes the redelivery harmless. Any other
failure (a malformed event, a value the database refuses, a bug) would fail the same way forever:
the event is written to the service's ``dead_letters`` table for an operator, and acked.

Use with ``shared.bus.event_handler(..., requeue_on_error=True)``.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from typing import Any

import eventlet
import sqlalchemy as sa

from shared.clock import utcnow
from shared.db import UnitOfWork
from shared.envelope import InvalidEnvelope
from shared.outbox import BIGINT

log = logging.getLogger(__name__)

MAX_DEAD_LETTER_CHARS = 64 * 1024
MAX_REASON_CHARS = 2000
REQUEUE_PAUSE_SECONDS = 1.0
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    sa.exc.OperationalError,  # connection lost, deadlock, serialization failure, lock timeout
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,  # the connection pool is exhausted
    sa.exc.DisconnectionError,
    ConnectionError,
    socket.timeout,
)
_metadata_for_statements = sa.MetaData()


def dead_letters_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "dead_letters",
        metadata,
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("routing_key", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


DEAD_LETTERS = dead_letters_table(_metadata_for_statements)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT_ERRORS)


def consume(
    uow: UnitOfWork,
    consumer: str,
    routing_key: str,
    body: Any,
    apply: Callable[[], Any],
    invalid: tuple[type[BaseException], ...] = (),
) -> Any:
    """Run ``apply``; requeue transient failures, dead-letter the others (see the module doc)."""
    try:
        return apply()
    except Exception as exc:
        uow.rollback()
        if is_transient(exc):
            log.warning("%s: transient failure on %s, requeued: %s", consumer, routing_key, exc)
            eventlet.sleep(REQUEUE_PAUSE_SECONDS)
            raise
        if isinstance(exc, (InvalidEnvelope, *invalid)):
            log.warning("%s: invalid %s event, dead-lettered: %s", consumer, routing_key, exc)
        else:
            log.exception("%s: cannot handle a %s event; dead-lettered", consumer, routing_key)
        record_dead_letter(uow, consumer, routing_key, body, f"{type(exc).__name__}: {exc}")
        return None


def record_dead_letter(
    uow: UnitOfWork, consumer: str, routing_key: str, body: Any, reason: str
) -> None:
    raw = json.dumps(body, default=str, ensure_ascii=False)[:MAX_DEAD_LETTER_CHARS]
    uow.execute(
        sa.insert(DEAD_LETTERS).values(
            consumer=consumer,
            routing_key=routing_key[:100],
            reason=reason[:MAX_REASON_CHARS],
            body=raw,
            received_at=utcnow(),
        )
    )
    uow.commit()
