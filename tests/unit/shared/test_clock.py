"""Times as the services store and publish them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from shared.clock import as_utc, isoformat


def test_a_naive_datetime_from_sqlite_is_read_as_utc_and_others_pass_as_they_are():
    naive = datetime(2026, 12, 7, 20, 0)
    assert as_utc(naive) == datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
    paris = datetime(2026, 12, 7, 21, 0, tzinfo=timezone(timedelta(hours=1)))
    assert as_utc(paris) is paris
    assert as_utc(None) is None
    assert as_utc("a title") == "a title"


def test_times_are_published_in_utc_with_a_z():
    paris = datetime(2026, 12, 7, 21, 0, tzinfo=timezone(timedelta(hours=1)))
    assert isoformat(paris) == "2026-12-07T20:00:00Z"
