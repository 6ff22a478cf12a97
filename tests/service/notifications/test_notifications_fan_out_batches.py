"""Agency-bound events that arrive together are fanned out together (one transaction), each
still applied exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.notifications.webhooks.handlers.fan_out import accept_events
from services.notifications.webhooks.schemas import public_event
from shared.db import UnitOfWork
from shared.metrics import registry_for
from shared.testing import BaseUrlSession

from .support import Receiver, petition_event
from .test_notifications_delivery import subscribe

COUNT = "petition.signature_count_changed"


def _count_event(count: int) -> Any:
    return petition_event(COUNT, petition_id=str(uuid.uuid4()), signature_count=count)


def _deliveries_of(engine: sa.Engine, subscription_id: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT message_id FROM deliveries WHERE subscription_id = :s"),
            {"s": subscription_id},
        )
        return sorted(row.message_id for row in rows)


def test_a_batch_applies_each_event_once_even_when_given_twice(
    notifications: Any,
    notifications_db: sa.Engine,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
) -> None:
    sub = subscribe(agency_session(), receiver_factory().url, [COUNT])
    a, b, c = (public_event(_count_event(n)) for n in (1, 2, 3))

    def batch(events: list[Any]) -> list[int]:
        uow = UnitOfWork(Session(notifications_db), "notifications")
        try:
            return accept_events(uow, events)
        finally:
            uow.close()

    first = batch([a, b, a])  # a redelivery that lands in the same batch
    assert first[0] == first[1] >= 1 and first[2] == 0
    again = batch([a, c])  # a was applied by the first batch
    assert again[0] == 0 and again[1] == first[0]
    assert batch([b]) == [0]
    ids = sorted(event.id for event in (a, b, c))
    assert _deliveries_of(notifications_db, sub["id"]) == ids
    with notifications_db.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT count(*) FROM messages WHERE id = ANY(:ids)"), {"ids": ids}
        ).scalar()
    assert stored == 3


def test_events_that_arrive_together_share_transactions_and_are_all_delivered(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Callable[[Any], None],
) -> None:
    receiver = receiver_factory()
    response = agency_session().post(
        "/api/subscriptions", json={"url": receiver.url, "event_types": [COUNT], "rate_limit": 500}
    )
    assert response.status_code == 201, response.text
    registry = registry_for("notifications")
    name = "hub_notifications_fan_out_batch_size"
    batches_before = registry.get_sample_value(f"{name}_count") or 0.0
    events_before = registry.get_sample_value(f"{name}_sum") or 0.0
    sent = [_count_event(n) for n in range(40)]
    for event in sent:
        publish(event)
    arrived = receiver.wait_for(40, timeout=20)
    assert sorted(r.headers["webhook-id"] for r in arrived) == sorted(e.id for e in sent)
    batches = (registry.get_sample_value(f"{name}_count") or 0.0) - batches_before
    events = (registry.get_sample_value(f"{name}_sum") or 0.0) - events_before
    assert events >= 40 and batches < events, (batches, events)
