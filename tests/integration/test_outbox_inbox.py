"""The outbox relay and the inbox against real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from kombu import Connection, Queue
from sqlalchemy.orm import Session

from shared.bus import EnvelopePublisher, event_exchange
from shared.db import UnitOfWork, make_engine
from shared.inbox import first_delivery
from shared.outbox import OUTBOX, OutboxRelay


@pytest.fixture
def engine(database_urls):
    engine = make_engine(database_urls["notifications"])
    yield engine
    engine.dispose()


def emit(engine, n: int, kind: str) -> list[str]:
    uow = UnitOfWork(Session(engine), "notifications")
    ids = [uow.emit(kind, {"n": i}).id for i in range(n)]
    uow.commit()
    uow.close()
    return ids


def unsent(engine, ids: list[str]) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).where(OUTBOX.c.event_id.in_(ids), OUTBOX.c.sent_at.is_(None))
        ).scalar()


def drain_outbox(engine) -> None:
    """Other tests of this run share the database: start from an empty backlog."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(OUTBOX).where(OUTBOX.c.sent_at.is_(None)).values(sent_at=sa.func.now())
        )


def test_relay_publishes_committed_events_with_confirms_and_marks_them_sent(engine, amqp_uri):
    drain_outbox(engine)
    kind = "test.relayed." + uuid.uuid4().hex[:6]
    queue = Queue(
        "q-" + uuid.uuid4().hex,
        exchange=event_exchange("notifications"),
        routing_key=kind,
        auto_delete=False,
        durable=False,
    )
    with Connection(amqp_uri) as conn:
        bound = queue(conn.channel())
        bound.declare()
        ids = emit(engine, 3, kind)
        relay = OutboxRelay(engine, EnvelopePublisher(amqp_uri, "notifications"))
        assert relay.relay_once() == 3
        got = []
        for _ in range(3):
            message = bound.get(no_ack=True)
            got.append(message.payload)
        bound.delete()
    assert [m["id"] for m in got] == ids  # in commit order
    assert all(m["type"] == kind and m["source"] == "notifications" for m in got)
    assert unsent(engine, ids) == 0
    assert relay.relay_once() == 0


def test_rows_locked_by_another_replica_are_skipped(engine, amqp_uri):
    drain_outbox(engine)
    ids = emit(engine, 2, "test.locked")
    sent: list[dict] = []
    relay = OutboxRelay(engine, sent.extend)
    with engine.connect() as other_replica:
        other_replica.execute(
            sa.select(OUTBOX.c.seq).where(OUTBOX.c.event_id.in_(ids)).with_for_update()
        )
        assert relay.relay_once() == 0
        other_replica.rollback()
    assert relay.relay_once() == 2
    assert [e["id"] for e in sent] == ids


def test_a_failed_publish_leaves_the_events_unsent(engine):
    drain_outbox(engine)
    ids = emit(engine, 2, "test.failing")

    def broker_down(_envelopes):
        raise ConnectionError("broker down")

    with pytest.raises(ConnectionError):
        OutboxRelay(engine, broker_down).relay_once()
    assert unsent(engine, ids) == 2
    count, age = OutboxRelay(engine, broker_down).backlog()
    assert count == 2 and age >= 0


def test_rolled_back_work_emits_nothing(engine):
    uow = UnitOfWork(Session(engine), "notifications")
    event = uow.emit("test.rolled_back", {})
    uow.rollback()
    uow.commit()
    uow.close()
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(OUTBOX.c.seq).where(OUTBOX.c.event_id == event.id)).first()
            is None
        )


def test_the_inbox_admits_each_event_once_per_consumer(engine):
    event_id = str(uuid.uuid4())
    results = []
    for consumer in ("a", "a", "b"):
        uow = UnitOfWork(Session(engine), "notifications")
        results.append(first_delivery(uow, consumer, event_id))
        uow.commit()
        uow.close()
    assert results == [True, False, True]


def test_an_uncommitted_claim_does_not_count(engine):
    event_id = str(uuid.uuid4())
    uow = UnitOfWork(Session(engine), "notifications")
    assert first_delivery(uow, "c", event_id)
    uow.rollback()  # the consumer failed: the event must be applied on redelivery
    assert first_delivery(uow, "c", event_id)
    uow.close()


def test_pruning_deletes_only_events_sent_long_enough_ago(engine):
    from datetime import timedelta

    from shared.clock import utcnow

    drain_outbox(engine)
    old, recent = emit(engine, 3, "test.old"), emit(engine, 2, "test.recent")
    waiting = emit(engine, 2, "test.unsent")
    with engine.begin() as conn:
        conn.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.event_id.in_(old))
            .values(sent_at=utcnow() - timedelta(days=2))
        )
        conn.execute(
            sa.update(OUTBOX).where(OUTBOX.c.event_id.in_(recent)).values(sent_at=utcnow())
        )
    relay = OutboxRelay(engine, lambda envelopes: None)
    assert relay.prune_sent(timedelta(days=1), limit=2) == 2  # bounded per call
    assert relay.prune_sent(timedelta(days=1)) == 1
    assert relay.prune_sent(timedelta(days=1)) == 0
    with engine.connect() as conn:
        left = set(conn.execute(sa.select(OUTBOX.c.event_id)).scalars())
    assert not left & set(old)
    assert set(recent) | set(waiting) <= left
