"""UnitOfWork.insert_many_unless_exist on PostgreSQL: one cached statement for any number of
rows, typed per column (JSON included), duplicates skipped, Python-side defaults still applied."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared import db
from shared.db import UnitOfWork, make_engine

metadata = sa.MetaData()
things = sa.Table(
    f"test_things_{uuid.uuid4().hex[:8]}",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("n", sa.Integer, nullable=False, default=7),
)


@pytest.fixture
def engine(database_urls: dict[str, str]) -> Iterator[sa.Engine]:
    engine = make_engine(database_urls["petitions"])
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def _insert(engine: sa.Engine, rows: list[dict]) -> int:
    uow = UnitOfWork(Session(engine), "test")
    try:
        inserted = uow.insert_many_unless_exist(things, rows)
        uow.commit()
        return inserted
    finally:
        uow.close()


def test_rows_go_in_once_with_their_types(engine: sa.Engine) -> None:
    at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    rows = [
        {"id": a, "data": {"k": [1, "é"]}, "at": at, "n": 1},
        {"id": a, "data": {"k": "again"}, "at": at, "n": 2},  # the same key twice at once
        {"id": b, "data": ["x"], "at": at, "n": 3},
    ]
    assert _insert(engine, rows) == 2
    assert (things.fullname, ("id", "data", "at", "n"), "id") in db._UNLESS_EXIST_STATEMENTS
    assert _insert(engine, [{"id": b, "data": {}, "at": at, "n": 4}]) == 0
    with engine.connect() as conn:
        stored = {r.id: r for r in conn.execute(sa.select(things))}
    assert stored[a].data == {"k": [1, "é"]} and stored[a].n == 1
    assert stored[b].data == ["x"] and stored[b].at == at


def test_a_left_out_column_keeps_its_python_default(engine: sa.Engine) -> None:
    row = {"id": str(uuid.uuid4()), "data": {}, "at": datetime.now(UTC)}
    assert _insert(engine, [row]) == 1
    with engine.connect() as conn:
        n = conn.execute(sa.select(things.c.n).where(things.c.id == row["id"])).scalar_one()
    assert n == 7


def test_the_inbox_claims_each_event_once_with_a_cached_statement(engine: sa.Engine) -> None:
    from shared.inbox import INBOX, first_deliveries

    with engine.begin() as conn:
        INBOX.create(conn, checkfirst=True)
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    uow = UnitOfWork(Session(engine), "test")
    try:
        assert first_deliveries(uow, "test.consumer", [b, a, b]) == {a, b}
        assert first_deliveries(uow, "test.consumer", [a, c]) == {c}
        assert first_deliveries(uow, "other.consumer", [a]) == {a}  # per consumer
        uow.rollback()
    finally:
        uow.close()
    columns = ("consumer", "event_id", "processed_at")
    assert (INBOX.fullname, columns, "event_id") in db._UNLESS_EXIST_STATEMENTS
