"""Time, in UTC, as the services store and publish it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """RFC 3339 with ``Z``, as events and JSON answers carry times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def as_utc(moment: datetime | None) -> datetime | None:
    """A time read from the database, in UTC. NOTE: SQLite (development) gives back naive
    datetimes for what was stored in UTC; PostgreSQL's ``timestamptz`` gives aware ones."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
