"""Attempts that end close together are written back together (one transaction), each delivery
still moving on by its own result."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.notifications.storage.tables import messages
from services.notifications.webhooks.domain import (
    HTTP_ERROR,
    SUCCESS,
    AttemptResult,
    new_secret,
)
from services.notifications.webhooks.handlers import attempts
from services.notifications.webhooks.storage.tables import (
    deliveries,
    delivery_attempts,
    subscriptions,
)
from shared.clock import utcnow
from shared.db import UnitOfWork

from .support import Receiver, wait_until

OK = AttemptResult(SUCCESS, 3, 204)
BROKEN = AttemptResult(HTTP_ERROR, 3, 500, "oops")


@pytest.fixture
def statements(notifications_db: sa.Engine) -> Iterator[list[str]]:
    """Every statement (and COMMIT) sent to the database while the test runs."""
    seen: list[str] = []

    def executed(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        seen.append(f"{words[0]} {words[2] if words[0] == 'INSERT' else words[1]}")

    def committed(conn: Any) -> None:
        seen.append("COMMIT")

    sa.event.listen(notifications_db, "before_cursor_execute", executed)
    sa.event.listen(notifications_db, "commit", committed)
    yield seen
    sa.event.remove(notifications_db, "before_cursor_execute", executed)
    sa.event.remove(notifications_db, "commit", committed)


def _queued(
    engine: sa.Engine, count: int, url: str = "https://agency.example/hooks", due: bool = False
) -> tuple[str, list[SimpleNamespace]]:
    """A subscription with ``count`` deliveries, claimed (as the delivery loop holds them) or
    ``due``."""
    now, subscription_id = utcnow(), str(uuid.uuid4())
    items = []
    with engine.begin() as conn:
        conn.execute(
            sa.insert(subscriptions).values(
                id=subscription_id,
                agency_id="agency-" + subscription_id[:8],
                url=url,
                secret=new_secret(),
                status="active",
                created_at=now,
            )
        )
        for _ in range(count):
            message_id = str(uuid.uuid4())
            conn.execute(
                sa.insert(messages).values(
                    id=message_id,
                    event_type="petition.closed",
                    occurred_at="2026-03-01T10:00:00Z",
                    subject="p",
                    data={"petition_id": "p"},
                    received_at=now,
                )
            )
            delivery_id = conn.execute(
                sa.insert(deliveries)
                .values(
                    message_id=message_id,
                    subscription_id=subscription_id,
                    status="pending",
                    attempt_count=0,
                    next_attempt_at=now if due else now + timedelta(seconds=60),  # leased
                    created_at=now,
                )
                .returning(deliveries.c.id)
            ).scalar_one()
            items.append(
                SimpleNamespace(
                    id=delivery_id,
                    attempt_count=0,
                    subscription_id=subscription_id,
                    agency_id="agency-" + subscription_id[:8],
                    message_id=message_id,
                    event_type="petition.closed",
                )
            )
    return subscription_id, items


def _record(engine: sa.Engine, outcomes: list[Any]) -> list[Any]:
    uow = UnitOfWork(Session(engine), "notifications")
    try:
        return attempts.record_attempts(uow, outcomes)
    finally:
        uow.close()


def _delivery(engine: sa.Engine, delivery_id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id)).one()


def _failing_since(engine: sa.Engine, subscription_id: str) -> Any:
    with engine.connect() as conn:
        query = sa.select(subscriptions.c.failing_since).where(
            subscriptions.c.id == subscription_id
        )
        return conn.execute(query).scalar_one()


def test_attempts_ending_together_share_one_transaction_and_one_update_for_the_successes(
    notifications_db: sa.Engine, statements: list[str]
) -> None:
    _, items = _queued(notifications_db, 4)
    statements.clear()
    _record(notifications_db, [(items[0], OK), (items[1], BROKEN), (items[2], OK), (items[3], OK)])
    assert statements.count("COMMIT") == 1
    assert statements.count("INSERT delivery_attempts") == 1
    # one UPDATE for the three successes, one for the failure (its own retry time)
    assert statements.count("UPDATE deliveries") == 2
    with notifications_db.connect() as conn:
        logged = conn.execute(
            sa.select(delivery_attempts.c.delivery_id, delivery_attempts.c.status_code).where(
                delivery_attempts.c.delivery_id.in_([i.id for i in items])
            )
        ).all()
    assert sorted(logged) == sorted(
        [(items[0].id, 204), (items[1].id, 500), (items[2].id, 204), (items[3].id, 204)]
    )


def test_a_failure_among_successes_keeps_its_own_retry_schedule(
    notifications_db: sa.Engine,
) -> None:
    _, items = _queued(notifications_db, 3)
    before = utcnow()
    decisions = _record(notifications_db, [(items[0], OK), (items[1], BROKEN), (items[2], OK)])
    assert [d.status for d in decisions] == ["succeeded", "pending", "succeeded"]
    for item in (items[0], items[2]):
        row = _delivery(notifications_db, item.id)
        assert (row.status, row.attempt_count, row.next_attempt_at) == ("succeeded", 1, None)
    failed = _delivery(notifications_db, items[1].id)
    assert (failed.status, failed.attempt_count) == ("pending", 1)
    # the Svix schedule's first retry: 5 s, jittered by at most 20 %
    wait = (failed.next_attempt_at - before).total_seconds()
    assert 3.9 < wait < 6.1, wait


def test_a_later_failure_of_the_same_subscription_leaves_it_failing(
    notifications_db: sa.Engine,
) -> None:
    subscription_id, items = _queued(notifications_db, 2)
    _record(notifications_db, [(items[0], OK), (items[1], BROKEN)])
    assert _failing_since(notifications_db, subscription_id) is not None


def test_a_later_success_of_the_same_subscription_clears_its_failure_clock(
    notifications_db: sa.Engine,
) -> None:
    subscription_id, items = _queued(notifications_db, 2)
    _record(notifications_db, [(items[0], BROKEN), (items[1], OK)])
    assert _failing_since(notifications_db, subscription_id) is None


def test_a_delivery_cancelled_in_flight_stays_cancelled_in_a_batch(
    notifications_db: sa.Engine,
) -> None:
    _, items = _queued(notifications_db, 2)
    with notifications_db.begin() as conn:
        conn.execute(
            sa.update(deliveries).where(deliveries.c.id == items[0].id).values(status="cancelled")
        )
    _record(notifications_db, [(items[0], OK), (items[1], OK)])
    assert _delivery(notifications_db, items[0].id).status == "cancelled"
    assert _delivery(notifications_db, items[1].id).status == "succeeded"


def test_sends_that_end_together_are_written_back_in_fewer_transactions(
    notifications: Any,
    notifications_db: sa.Engine,
    receiver_factory: Callable[..., Receiver],
) -> None:
    """Ten deliveries due at once go out together to a slow endpoint and end within moments of
    each other: write-backs queued behind the first share transactions (one transaction stamps
    its attempts with one time)."""
    receiver = receiver_factory(delay=0.5)
    _, items = _queued(notifications_db, 10, url=receiver.url, due=True)
    receiver.wait_for(10)
    query = sa.select(delivery_attempts.c.attempted_at).where(
        delivery_attempts.c.delivery_id.in_([i.id for i in items])
    )

    def written() -> list[Any]:
        with notifications_db.connect() as conn:
            found = conn.execute(query).scalars().all()
        return list(found) if len(found) == 10 else []

    stamps = wait_until(written, timeout=10)
    assert len(stamps) == 10
    assert len(set(stamps)) < 10, "every attempt was written in its own transaction"
    for item in items:
        assert _delivery(notifications_db, item.id).status == "succeeded"


def test_a_batch_the_database_refuses_is_written_again_delivery_by_delivery(
    notifications_db: sa.Engine,
) -> None:
    """One bad row (here a delivery that does not exist: its attempt breaks the foreign key) fails
    the shared transaction; the others are then written alone, and only the bad one fails."""
    from services.notifications.dependencies import DeliveryLoop

    _, items = _queued(notifications_db, 2)
    ghost = SimpleNamespace(**{**vars(items[0]), "id": 2**62})
    loop = DeliveryLoop.__new__(DeliveryLoop)
    loop.database = SimpleNamespace(
        unit_of_work=lambda: UnitOfWork(notifications_db, "notifications")
    )
    loop.settings = SimpleNamespace(webhook_retry_scale=1.0)
    loop.container = SimpleNamespace(service_name="notifications")
    results = loop._record([(items[0], OK), (ghost, OK), (items[1], BROKEN)])
    assert [type(r).__name__ for r in results] == ["Decision", "IntegrityError", "Decision"]
    assert _delivery(notifications_db, items[0].id).status == "succeeded"
    assert _delivery(notifications_db, items[1].id).attempt_count == 1
