"""UnitOfWork on an engine (what the services use): a Core connection per transaction, taken at
the first statement and given back when the transaction ends, events committed with it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from shared.db import UnitOfWork, make_engine
from shared.outbox import OUTBOX


@pytest.fixture
def engine(database_urls: dict[str, str]) -> Iterator[sa.Engine]:
    engine = make_engine(database_urls["notifications"])
    yield engine
    engine.dispose()


def _checked_out(engine: sa.Engine) -> int:
    return int(engine.pool.checkedout())  # type: ignore[attr-defined]


def _stored(engine: sa.Engine, event_id: str) -> int:
    with engine.connect() as conn:
        query = sa.select(sa.func.count()).where(OUTBOX.c.event_id == event_id)
        return int(conn.execute(query).scalar_one())


def test_a_connection_is_held_only_while_a_transaction_is_open(engine: sa.Engine) -> None:
    uow = UnitOfWork(engine, "notifications")
    assert uow.dialect == "postgresql" and _checked_out(engine) == 0  # nothing taken to ask
    assert uow.execute(sa.text("SELECT 1")).scalar() == 1
    assert _checked_out(engine) == 1
    uow.commit()
    assert _checked_out(engine) == 0
    uow.execute(sa.text("SELECT 1"))  # a second transaction takes a connection again
    uow.rollback()
    assert _checked_out(engine) == 0
    uow.execute(sa.text("SELECT 1"))
    uow.close()
    assert _checked_out(engine) == 0


def test_events_commit_with_the_changes_and_a_rollback_drops_both(engine: sa.Engine) -> None:
    uow = UnitOfWork(engine, "notifications")
    kept = uow.emit("test.kept", {"n": 1}).id
    uow.commit()
    assert _stored(engine, kept) == 1
    dropped = uow.emit("test.dropped", {"n": 2})
    written = str(uuid.uuid4())
    uow.execute(
        sa.insert(OUTBOX), [{"event_id": written, "event_type": "t", "envelope": dropped.to_dict()}]
    )
    uow.rollback()
    uow.commit()  # nothing left to commit: the rolled-back event is gone too
    assert _stored(engine, dropped.id) == 0 and _stored(engine, written) == 0
    uow.close()


def test_a_failed_statement_leaves_the_unit_usable_after_a_rollback(engine: sa.Engine) -> None:
    uow = UnitOfWork(engine, "notifications")
    with pytest.raises(sa.exc.ProgrammingError):
        uow.execute(sa.text("SELECT * FROM no_such_table"))
    uow.rollback()
    assert uow.execute(sa.text("SELECT 2")).scalar() == 2
    uow.close()
    assert _checked_out(engine) == 0
