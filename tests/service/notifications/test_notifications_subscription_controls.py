"""Agencies steer their subscriptions: rotate the secret, pause and resume, redeliver one
message, recover what failed since a time, page through lists."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from standardwebhooks import Webhook

from shared.testing import BaseUrlSession

from .support import Receiver, petition_event, wait_until
from .test_notifications_delivery import deliveries, subscribe

Publish = Callable[[Any], None]


def _closed() -> Any:
    return petition_event("petition.closed", petition_id=str(uuid.uuid4()), signature_count=1)


def test_after_a_rotation_old_and_new_secrets_both_sign_for_24_hours(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory()
    sub = subscribe(agency, receiver.url)
    response = agency.post(f"/api/subscriptions/{sub['id']}/secret/rotate")
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != sub["secret"]
    ends = datetime.fromisoformat(rotated["previous_secret_expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=23) < ends - datetime.now(UTC) <= timedelta(hours=24)
    publish(_closed())
    [received] = receiver.wait_for(1)
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    for secret in (sub["secret"], rotated["secret"]):  # an agency mid-switch accepts either
        Webhook(secret).verify(received.body.decode(), received.headers)


def test_a_rotated_secret_stops_signing_after_24_hours(
    notifications: Any,
    notifications_db: sa.Engine,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory()
    sub = subscribe(agency, receiver.url)
    new = agency.post(f"/api/subscriptions/{sub['id']}/secret/rotate").json()["secret"]
    with notifications_db.begin() as conn:  # 24 h later
        conn.execute(
            sa.text(
                "UPDATE subscriptions SET previous_secret_expires_at = now() - interval '1 s' "
                "WHERE id = :id"
            ),
            {"id": sub["id"]},
        )
    publish(_closed())
    [received] = receiver.wait_for(1)
    assert " " not in received.headers["webhook-signature"]
    Webhook(new).verify(received.body.decode(), received.headers)


def test_a_paused_subscription_holds_its_deliveries_until_resumed(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory()
    sub = subscribe(agency, receiver.url)
    paused = agency.post(f"/api/subscriptions/{sub['id']}/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    event = _closed()
    publish(event)
    assert wait_until(lambda: deliveries(agency, sub["id"]))  # queued...
    time.sleep(1.0)
    assert receiver.received == []  # ...but held
    resumed = agency.post(f"/api/subscriptions/{sub['id']}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    [received] = receiver.wait_for(1)
    assert received.headers["webhook-id"] == event.id


def test_an_agency_redelivers_one_message_with_the_same_webhook_id(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory()
    sub = subscribe(agency, receiver.url)
    event = _closed()
    publish(event)
    receiver.wait_for(1)
    wait_until(lambda: deliveries(agency, sub["id"])[0]["status"] == "succeeded")
    url = f"/api/subscriptions/{sub['id']}/messages/{event.id}/redeliver"
    response = agency.post(url)
    assert response.status_code == 202, response.text
    first, second = receiver.wait_for(2)
    assert second.headers["webhook-id"] == first.headers["webhook-id"] == event.id
    assert second.body == first.body
    [delivery] = wait_until(
        lambda: [d for d in deliveries(agency, sub["id"]) if len(d["attempts"]) == 2]
    )
    assert delivery["status"] == "succeeded"
    missing = agency.post(f"/api/subscriptions/{sub['id']}/messages/{uuid.uuid4()}/redeliver")
    assert missing.status_code == 404 and missing.json()["error"] == "delivery_not_found"
    other = agency_session().post(url)
    assert other.status_code == 404 and other.json()["error"] == "subscription_not_found"


def test_recovery_resends_what_failed_and_what_arrived_while_disabled(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory(statuses=[410, 200])
    sub = subscribe(agency, receiver.url)
    since = datetime.now(UTC) - timedelta(seconds=1)
    gone, while_disabled = _closed(), _closed()
    publish(gone)  # 410: the subscription is disabled
    wait_until(lambda: agency.get(f"/api/subscriptions/{sub['id']}").json()["status"] == "disabled")
    publish(while_disabled)
    time.sleep(1.0)
    assert len(receiver.received) == 1
    assert agency.post(f"/api/subscriptions/{sub['id']}/resume").status_code == 200
    response = agency.post(
        f"/api/subscriptions/{sub['id']}/recover",
        json={"since": since.isoformat().replace("+00:00", "Z")},
    )
    assert response.status_code == 202 and response.json()["recovered"] == 2, response.text
    received = receiver.wait_for(3)
    assert {r.headers["webhook-id"] for r in received[1:]} == {gone.id, while_disabled.id}


def test_recovery_refuses_bad_times(
    notifications: Any, agency_session: Callable[..., BaseUrlSession]
) -> None:
    agency = agency_session()
    sub = subscribe(agency, "https://agency.example/h")
    url = f"/api/subscriptions/{sub['id']}/recover"
    for body in ({"since": "yesterday"}, {"since": "2999-01-01T00:00:00Z"}, {}):
        response = agency.post(url, json=body)
        assert response.status_code == 400 and response.json()["error"] == "invalid_since"
    old = agency.post(url, json={"since": "2000-01-01T00:00:00Z"})
    assert old.status_code == 409 and old.json()["error"] == "since_too_old"


def test_subscriptions_and_deliveries_are_listed_a_page_at_a_time(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    receiver_factory: Callable[..., Receiver],
    publish: Publish,
) -> None:
    agency, receiver = agency_session(), receiver_factory()
    ids = [subscribe(agency, f"https://agency.example/{n}")["id"] for n in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = agency.get("/api/subscriptions", params=params).json()
        seen += [s["id"] for s in page["subscriptions"]]
        pages, cursor = pages + 1, page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids and pages == 3
    bad = agency.get("/api/subscriptions", params={"cursor": "%%%"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_cursor"
    sub = subscribe(agency, receiver.url)
    for _ in range(3):
        publish(_closed())
    receiver.wait_for(3)
    first = agency.get(f"/api/subscriptions/{sub['id']}/deliveries", params={"limit": 2}).json()
    rest = agency.get(
        f"/api/subscriptions/{sub['id']}/deliveries",
        params={"limit": 2, "cursor": first["next_cursor"]},
    ).json()
    assert len(first["deliveries"]) == 2 and len(rest["deliveries"]) == 1
    assert rest["next_cursor"] is None
    listed = [d["id"] for d in first["deliveries"] + rest["deliveries"]]
    assert listed == sorted(listed, reverse=True) and len(set(listed)) == 3
