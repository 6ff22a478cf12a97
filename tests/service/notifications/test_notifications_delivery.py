"""Petition events on the bus become signed CloudEvents at agencies' endpoints."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from standardwebhooks import Webhook

from shared.testing import BaseUrlSession

from .support import Receiver, petition_event, wait_until

Publish = Callable[[Any], None]


def subscribe(
    agency: BaseUrlSession, url: str, event_types: list[str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url}
    if event_types is not None:
        body["event_types"] = event_types
    response = agency.post("/api/subscriptions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def deliveries(agency: BaseUrlSession, subscription_id: str) -> list[dict[str, Any]]:
    response = agency.get(f"/api/subscriptions/{subscription_id}/deliveries")
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]


def test_a_published_petition_reaches_the_agency_as_a_signed_cloudevent(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory()
    sub = subscribe(agency, receiver.url, ["petition.published"])
    petition_id = str(uuid.uuid4())
    event = petition_event(
        "petition.published",
        petition_id=petition_id,
        title="Plus de pistes cyclables",
        published_at="2026-03-01T10:00:00Z",
        creator_sub="a-citizen",  # must never reach an agency
    )
    publish(event)
    [received] = receiver.wait_for(1)
    body = received.body.decode()
    assert Webhook(sub["secret"]).verify(body, received.headers)
    assert received.headers["webhook-id"] == event.id
    assert received.headers["content-type"] == "application/cloudevents+json"
    assert abs(int(received.headers["webhook-timestamp"]) - time.time()) < 30
    assert json.loads(body) == {
        "specversion": "1.0",
        "id": event.id,
        "source": "urn:participation-hub:petitions",
        "type": "fr.participation-hub.petition.published",
        "time": event.time,
        "subject": petition_id,
        "datacontenttype": "application/json",
        "data": {
            "petition_id": petition_id,
            "title": "Plus de pistes cyclables",
            "published_at": "2026-03-01T10:00:00Z",
        },
    }
    [delivery] = wait_until(
        lambda: [d for d in deliveries(agency, sub["id"]) if d["status"] == "succeeded"]
    )
    assert delivery["message_id"] == event.id and delivery["event_type"] == "petition.published"
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] == 200 and attempt["outcome"] == "success"
    assert attempt["duration_ms"] >= 0 and attempt["response_excerpt"] == "ok"


def test_each_public_event_type_is_forwarded(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory()
    subscribe(agency, receiver.url)  # all event types
    petition_id = str(uuid.uuid4())
    events = [
        petition_event(
            "petition.published",
            petition_id=petition_id,
            title="t",
            published_at="2026-03-01T10:00:00Z",
        ),
        petition_event("petition.rejected", petition_id=petition_id, reason="duplicate"),
        petition_event(
            "petition.signature_count_changed", petition_id=petition_id, signature_count=12
        ),
        petition_event(
            "petition.threshold_reached", petition_id=petition_id, threshold=10, signature_count=12
        ),
        petition_event("petition.closed", petition_id=petition_id, signature_count=15),
    ]
    for event in events:
        publish(event)
    received = receiver.wait_for(len(events))
    types = {json.loads(r.body)["type"] for r in received}
    assert types == {"fr.participation-hub." + e.type for e in events}


def test_an_agency_gets_only_the_event_types_it_chose(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    closed_only, everything = receiver_factory(), receiver_factory()
    subscribe(agency_session(), closed_only.url, ["petition.closed"])
    subscribe(agency_session(), everything.url)
    publish(petition_event("petition.rejected", petition_id=str(uuid.uuid4()), reason="off-topic"))
    everything.wait_for(1)
    time.sleep(0.5)
    assert closed_only.received == []


def test_the_same_event_published_twice_is_delivered_once(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory()
    sub = subscribe(agency, receiver.url)
    event = petition_event("petition.closed", petition_id=str(uuid.uuid4()), signature_count=7)
    publish(event)
    receiver.wait_for(1)
    publish(event)  # the outbox relay re-sends after a crash between publish and mark
    time.sleep(1.5)
    assert len(receiver.received) == 1
    assert len(deliveries(agency, sub["id"])) == 1


def test_a_failing_endpoint_is_retried_with_the_same_webhook_id(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory(statuses=[500, 200])
    sub = subscribe(agency, receiver.url)
    event = petition_event(
        "petition.signature_count_changed", petition_id=str(uuid.uuid4()), signature_count=3
    )
    publish(event)
    first, second = receiver.wait_for(2, timeout=20)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == event.id
    assert first.body == second.body
    assert 4.0 <= second.at - first.at <= 10.0  # the second attempt of the schedule: 5 s +- jitter
    for attempt in (first, second):
        Webhook(sub["secret"]).verify(attempt.body.decode(), attempt.headers)
    [delivery] = wait_until(
        lambda: [d for d in deliveries(agency, sub["id"]) if d["status"] == "succeeded"]
    )
    assert [(a["status_code"], a["outcome"]) for a in delivery["attempts"]] == [
        (500, "http_error"),
        (200, "success"),
    ]
    assert delivery["attempt_count"] == 2


def test_a_gone_endpoint_disables_its_subscription(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory(statuses=[410])
    sub = subscribe(agency, receiver.url)
    publish(petition_event("petition.closed", petition_id=str(uuid.uuid4()), signature_count=1))
    receiver.wait_for(1)
    found = wait_until(
        lambda: agency.get(f"/api/subscriptions/{sub['id']}").json()["status"] == "disabled"
    )
    assert found
    publish(petition_event("petition.closed", petition_id=str(uuid.uuid4()), signature_count=2))
    time.sleep(1.0)
    assert len(receiver.received) == 1


def test_a_slow_endpoint_does_not_delay_the_others(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    slow, fast = receiver_factory(delay=4.0), receiver_factory()
    subscribe(agency_session(), slow.url)  # first: its delivery is claimed first
    subscribe(agency_session(), fast.url)
    published_at = time.monotonic()
    publish(petition_event("petition.closed", petition_id=str(uuid.uuid4()), signature_count=9))
    [received] = fast.wait_for(1, timeout=3.5)
    assert received.at - published_at < 3.0
    assert slow.received == []  # still answering


def test_an_invalid_event_is_dead_lettered_and_not_delivered(
    notifications: Any,
    notifications_settings: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    receiver = receiver_factory()
    subscribe(agency_session(), receiver.url)
    marker = str(uuid.uuid4())
    publish(petition_event("petition.closed", title=marker))  # no petition_id, no count
    engine = sa.create_engine(notifications_settings.database_url("notifications"))
    try:
        rows = wait_until(lambda: _dead_letters(engine, marker))
    finally:
        engine.dispose()
    rows = wait_until(lambda: len(_dead_letters_in(notifications_settings, marker)) == 3) and (
        _dead_letters_in(notifications_settings, marker)
    )
    assert {row.consumer for row in rows} == {
        "notifications.fan_out",
        "notifications.citizen_mail",
        "notifications.author_mail",
    }
    assert all(row.routing_key == "petition.closed" and "petition_id" in row.reason for row in rows)
    assert receiver.received == []


def _dead_letters_in(settings: Any, marker: str) -> list[Any]:
    engine = sa.create_engine(settings.database_url("notifications"))
    try:
        return _dead_letters(engine, marker)
    finally:
        engine.dispose()


def _dead_letters(engine: sa.Engine, marker: str) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT consumer, routing_key, reason FROM dead_letters WHERE body LIKE :m"
                ),
                {"m": f"%{marker}%"},
            )
        )


def test_pending_deliveries_survive_a_restart(
    start_notifications: Callable[..., Any],
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory(statuses=[503, 200])
    first = start_notifications()
    sub = subscribe(agency, receiver.url)
    event = petition_event("petition.closed", petition_id=str(uuid.uuid4()), signature_count=4)
    publish(event)
    receiver.wait_for(1)
    first.stop()  # the retry is due in about 5 s: only the database remembers it
    start_notifications()
    second = receiver.wait_for(2, timeout=20)[1]
    assert second.headers["webhook-id"] == event.id
    Webhook(sub["secret"]).verify(second.body.decode(), second.headers)


def test_a_published_checkpoint_reaches_the_agency(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    amqp_uri: str,
) -> None:
    from shared.bus import EnvelopePublisher
    from shared.envelope import Envelope

    agency, receiver = agency_session(), receiver_factory()
    sub = subscribe(agency, receiver.url, ["transparency.checkpoint_published"])
    data = {
        "origin": "127.0.0.1:8005/tlog",
        "size": 12,
        "root_hash": "A" * 43 + "=",
        "checkpoint": "127.0.0.1:8005/tlog\n12\n"
        + "A" * 43
        + "=\n\n\u2014 127.0.0.1:8005/tlog x\n",
    }
    event = Envelope(type="transparency.checkpoint_published", payload=data, source="transparency")
    EnvelopePublisher(amqp_uri, "transparency")([event.to_dict()])
    [received] = receiver.wait_for(1)
    assert Webhook(sub["secret"]).verify(received.body.decode(), received.headers)
    cloud = json.loads(received.body)
    assert cloud["type"] == "fr.participation-hub.transparency.checkpoint_published"
    assert cloud["subject"] == "127.0.0.1:8005/tlog" and cloud["data"] == data
