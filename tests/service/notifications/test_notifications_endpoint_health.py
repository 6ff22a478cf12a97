"""How failing, slow, throttling or hostile endpoints are treated, and what operators see."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shared.testing import BaseUrlSession

from .support import EventTap, Receiver, petition_event, wait_until
from .test_notifications_delivery import deliveries, subscribe

Publish = Callable[[Any], None]


def _closed(**payload: Any) -> Any:
    payload.setdefault("petition_id", str(uuid.uuid4()))
    return petition_event("petition.closed", signature_count=1, **payload)


def _sql(engine: sa.Engine, statement: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def _only_new_subscriptions(engine: sa.Engine) -> None:
    """Earlier tests' subscriptions would share the backlog (fairly): leave the new ones alone."""
    _sql(engine, "UPDATE subscriptions SET status = 'deleted' WHERE status <> 'deleted'")


def _publish_counts(publish: Publish, events: int) -> None:
    for count in range(events):
        publish(
            petition_event(
                "petition.signature_count_changed",
                petition_id=str(uuid.uuid4()),
                signature_count=count,
            )
        )


def test_five_days_of_failures_disable_the_subscription_with_a_notice(
    notifications: Any,
    notifications_db: sa.Engine,
    event_tap: EventTap,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory(statuses=[500])
    sub = subscribe(agency, receiver.url)
    _sql(
        notifications_db,
        "UPDATE subscriptions SET failing_since = now() - interval '5 days' WHERE id = :id",
        id=sub["id"],
    )
    publish(_closed())
    receiver.wait_for(1)
    notice = event_tap.wait_for("notifications.subscription_disabled", subscription_id=sub["id"])
    assert notice["payload"]["reason"] == "every delivery failed for 5 days"
    assert notice["source"] == "notifications"
    view = agency.get(f"/api/subscriptions/{sub['id']}").json()
    assert view["status"] == "disabled" and "5 days" in view["disabled_reason"]


def test_a_success_clears_the_failure_clock(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory(statuses=[500, 200])
    sub = subscribe(agency, receiver.url)
    publish(_closed())
    receiver.wait_for(1)
    assert wait_until(lambda: agency.get(f"/api/subscriptions/{sub['id']}").json()["failing_since"])
    receiver.wait_for(2, timeout=15)
    assert wait_until(
        lambda: agency.get(f"/api/subscriptions/{sub['id']}").json()["failing_since"] is None
    )


def test_the_last_failed_attempt_announces_an_exhausted_delivery(
    notifications: Any,
    notifications_db: sa.Engine,
    event_tap: EventTap,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory(statuses=[500])
    sub = subscribe(agency, receiver.url)
    event = _closed()
    publish(event)
    receiver.wait_for(1)
    wait_until(lambda: deliveries(agency, sub["id"])[0]["attempt_count"] == 1)
    _sql(  # seven attempts made: the next one is the schedule's last
        notifications_db,
        "UPDATE deliveries SET attempt_count = 7, next_attempt_at = now() "
        "WHERE subscription_id = :id",
        id=sub["id"],
    )
    receiver.wait_for(2)
    notice = event_tap.wait_for("notifications.delivery_exhausted", message_id=event.id)
    assert notice["payload"]["subscription_id"] == sub["id"] and notice["payload"]["attempts"] == 8
    assert wait_until(lambda: deliveries(agency, sub["id"])[0]["status"] == "failed")


def test_a_throttling_endpoint_holds_its_other_deliveries(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency = agency_session()
    receiver = receiver_factory(statuses=[429, 200], answer_headers={"Retry-After": "6"})
    sub = subscribe(agency, receiver.url)
    publish(_closed())
    receiver.wait_for(1)
    view = wait_until(
        lambda: agency.get(f"/api/subscriptions/{sub['id']}").json()["throttled_until"]
    )
    assert view
    publish(_closed())  # due at once, but the endpoint asked for 6 s of quiet
    first, second = receiver.wait_for(2, timeout=15)[:2]
    assert second.at - first.at >= 5.0


def test_a_backlogged_slow_endpoint_does_not_take_every_slot(
    notifications: Any,
    notifications_db: sa.Engine,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    _only_new_subscriptions(notifications_db)
    slow, fast = receiver_factory(delay=4.0), receiver_factory()
    subscribe(agency_session(), slow.url, ["petition.signature_count_changed"])
    subscribe(agency_session(), fast.url, ["petition.closed"])
    _publish_counts(publish, 60)  # more than the whole pool (50)
    time.sleep(1.0)  # the slow endpoint's backlog is claimed and in flight
    published_at = time.monotonic()
    publish(_closed())
    [received] = fast.wait_for(1, timeout=3.5)
    assert received.at - published_at < 1.5


def test_an_agency_alone_with_a_backlog_gets_more_than_its_reserved_share(
    notifications: Any,
    notifications_db: sa.Engine,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    # Nobody else has work: its sends are not held to 10 at a time (10 per round trip).
    _only_new_subscriptions(notifications_db)
    receiver = receiver_factory(delay=1.5)
    response = agency_session().post(
        "/api/subscriptions", json={"url": receiver.url, "rate_limit": 1000}
    )
    assert response.status_code == 201, response.text
    _publish_counts(publish, 30)
    arrivals = sorted(r.at for r in receiver.wait_for(30, timeout=15))
    first_round = [at for at in arrivals if at - arrivals[0] < 1.0]
    assert len(first_round) >= 25, " ".join(f"{at - arrivals[0]:.2f}" for at in arrivals)


def test_a_subscription_rate_limit_spreads_its_deliveries(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory()
    response = agency.post("/api/subscriptions", json={"url": receiver.url, "rate_limit": 2})
    assert response.status_code == 201 and response.json()["rate_limit"] == 2
    for _ in range(6):
        publish(_closed())
    receiver.wait_for(6, timeout=30)
    # The sender's own attempt times (the receiver's clock can lag on a busy machine).
    attempts = wait_until(
        lambda: (
            sorted(
                datetime.fromisoformat(a["attempted_at"].replace("Z", "+00:00"))
                for d in deliveries(agency, response.json()["id"])
                for a in d["attempts"]
            )
            if len(deliveries(agency, response.json()["id"])) >= 6
            else None
        )
    )
    span = (attempts[-1] - attempts[0]).total_seconds()
    assert span >= 1.5, attempts  # a burst of 2, then 2 per second


def test_a_hostile_answer_is_stored_as_a_short_clean_excerpt(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency = agency_session()
    receiver = receiver_factory(answer_body=b"\x00\x1b[31m" + b"x" * 500_000)
    sub = subscribe(agency, receiver.url)
    publish(_closed())
    receiver.wait_for(1)
    [delivery] = wait_until(
        lambda: [d for d in deliveries(agency, sub["id"]) if d["status"] == "succeeded"]
    )
    excerpt = delivery["attempts"][0]["response_excerpt"]
    assert len(excerpt) <= 1024 and "\x00" not in excerpt and "\x1b" not in excerpt


def test_an_event_the_database_refuses_is_dead_lettered_once_not_requeued_forever(
    notifications: Any,
    operator_session: BaseUrlSession,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory()
    subscribe(agency, receiver.url)
    poison = _closed(petition_id="p" * 150)  # valid JSON, too long for the messages table
    publish(poison)

    def letters() -> list[dict[str, Any]]:
        page = operator_session.get("/api/dead-letters", params={"limit": 200}).json()
        return [d for d in page["dead_letters"] if poison.id in d["body"]]

    assert wait_until(lambda: len(letters()) == 3)
    time.sleep(1.5)
    found = letters()
    assert len(found) == 3  # once per consumer, not once per redelivery
    assert {d["consumer"] for d in found} == {
        "notifications.fan_out",
        "notifications.citizen_mail",
        "notifications.author_mail",
    }
    publish(_closed())  # the queue is not stuck behind it
    receiver.wait_for(1)
    refused = agency.get("/api/dead-letters")
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
