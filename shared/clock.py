"""Time, in UTC, as the services store and publish it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """RFC 3339 with ``Z``, as events and JSON answers carry times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def as_utc(value: T) -> T:
    """A value read from the database, a naive datetime made UTC; anything else as it is.
    NOTE: SQLite (development) gives back naive datetimes for what was stored in UTC;
    PostgreSQL's ``timestamptz`` gives aware ones."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # type: ignore[return-value]  # T is datetime here
    return value
