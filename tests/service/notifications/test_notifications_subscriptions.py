"""Agencies manage their webhook subscriptions over HTTP (real service, PostgreSQL, RabbitMQ)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from shared.testing import BaseUrlSession

EVENT_TYPES = {
    "petition.published",
    "petition.rejected",
    "petition.signature_count_changed",
    "petition.threshold_reached",
    "petition.closed",
    "transparency.checkpoint_published",
}


def test_an_agency_subscribes_and_gets_a_secret(
    notifications: Any, agency_session: Callable[..., BaseUrlSession]
) -> None:
    agency = agency_session()
    response = agency.post(
        "/api/subscriptions",
        json={"url": "https://agency.example/hooks", "event_types": ["petition.closed"]},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["url"] == "https://agency.example/hooks"
    assert created["event_types"] == ["petition.closed"] and created["status"] == "active"
    assert created["id"] and created["created_at"].endswith("Z")
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) >= 24
    listed = agency.get("/api/subscriptions").json()["subscriptions"]
    assert [s["id"] for s in listed] == [created["id"]]
    assert "secret" not in listed[0]  # shown once, at creation


def test_omitted_event_types_means_all(
    notifications: Any, agency_session: Callable[..., BaseUrlSession]
) -> None:
    created = (
        agency_session()
        .post("/api/subscriptions", json={"url": "https://agency.example/all"})
        .json()
    )
    assert set(created["event_types"]) == EVENT_TYPES and created["all_event_types"] is True


def test_another_agency_cannot_see_or_delete_a_subscription(
    notifications: Any, agency_session: Callable[..., BaseUrlSession]
) -> None:
    owner, other = agency_session(), agency_session()
    sub_id = owner.post("/api/subscriptions", json={"url": "https://agency.example/h"}).json()["id"]
    for method, path in (
        ("GET", f"/api/subscriptions/{sub_id}"),
        ("GET", f"/api/subscriptions/{sub_id}/deliveries"),
        ("DELETE", f"/api/subscriptions/{sub_id}"),
    ):
        response = other.request(method, path)
        assert response.status_code == 404 and response.json()["error"] == "subscription_not_found"
    assert other.get("/api/subscriptions").json()["subscriptions"] == []
    assert owner.get(f"/api/subscriptions/{sub_id}").json()["status"] == "active"


def test_an_agency_deletes_its_subscription(
    notifications: Any, agency_session: Callable[..., BaseUrlSession]
) -> None:
    agency = agency_session()
    sub_id = agency.post("/api/subscriptions", json={"url": "https://agency.example/h"}).json()[
        "id"
    ]
    assert agency.delete(f"/api/subscriptions/{sub_id}").status_code == 204
    assert agency.get(f"/api/subscriptions/{sub_id}").status_code == 404
    assert agency.get("/api/subscriptions").json()["subscriptions"] == []


def test_the_agency_is_its_client_id_not_the_token_subject(
    notifications: Any, agency_session: Callable[..., BaseUrlSession]
) -> None:
    first = agency_session(client_id="agency-shared-client")
    again = agency_session(client_id="agency-shared-client")  # another token, another sub
    sub_id = first.post("/api/subscriptions", json={"url": "https://agency.example/h"}).json()["id"]
    assert again.get(f"/api/subscriptions/{sub_id}").status_code == 200


def test_subscribing_needs_a_token_with_the_subscribe_scope(
    notifications: Any, agency_session: Callable[..., BaseUrlSession], anonymous: BaseUrlSession
) -> None:
    body = {"url": "https://agency.example/h"}
    missing = anonymous.post("/api/subscriptions", json=body)
    assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
    forged = anonymous.post(
        "/api/subscriptions", json=body, headers={"Authorization": "Bearer not-a-jwt"}
    )
    assert forged.status_code == 401 and forged.json()["error"] == "invalid_token"
    reader = agency_session(scope="petitions:read")
    refused = reader.post("/api/subscriptions", json=body)
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    assert reader.get("/api/subscriptions").status_code == 403


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        (
            {"data": "{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "malformed_json",
        ),
        (
            {"data": "url=https://x.example", "headers": {"Content-Type": "text/plain"}},
            415,
            "unsupported_media_type",
        ),
        ({"json": ["https://agency.example/h"]}, 400, "malformed_json"),
        ({"json": {}}, 400, "invalid_url"),
        ({"json": {"url": "ftp://agency.example/h"}}, 400, "invalid_url"),
        ({"json": {"url": "https:///nohost"}}, 400, "invalid_url"),
        ({"json": {"url": 12}}, 400, "invalid_url"),
        (
            {"json": {"url": "https://agency.example/h", "event_types": ["petition.signed"]}},
            400,
            "unknown_event_type",
        ),
        (
            {"json": {"url": "https://agency.example/h", "event_types": []}},
            400,
            "invalid_event_types",
        ),
        (
            {"json": {"url": "https://agency.example/h", "event_types": "petition.closed"}},
            400,
            "invalid_event_types",
        ),
        ({"json": {"url": "https://agency.example/h", "secret": "mine"}}, 400, "unknown_field"),
    ],
)
def test_bad_subscriptions_are_refused_and_nothing_is_stored(
    notifications: Any,
    agency_session: Callable[..., BaseUrlSession],
    kwargs: dict,
    status: int,
    code: str,
) -> None:
    agency = agency_session()
    response = agency.post("/api/subscriptions", **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"] == code and response.json()["message"]
    assert agency.get("/api/subscriptions").json()["subscriptions"] == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/h",
        "http://10.0.0.8/hook",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://[64:ff9b:1::a9fe:a9fe]/",
        "http://[2002:7f00:1::]/",
        "http://[::127.0.0.1]/",
        "http://[::ffff:0:7f00:1]/",
        "http://[fec0::1]/",
    ],
)
def test_private_targets_are_refused_unless_allowed(
    start_notifications: Callable[..., Any], agency_session: Callable[..., BaseUrlSession], url: str
) -> None:
    start_notifications(webhook_allow_private=False)
    agency = agency_session()
    response = agency.post("/api/subscriptions", json={"url": url})
    assert response.status_code == 400 and response.json()["error"] == "forbidden_target"
    assert agency.get("/api/subscriptions").json()["subscriptions"] == []


def test_private_targets_are_accepted_when_allowed(
    notifications: Any, agency_session: Callable[..., BaseUrlSession]
) -> None:
    assert (
        agency_session()
        .post("/api/subscriptions", json={"url": "http://127.0.0.1:9/h"})
        .status_code
        == 201
    )


def test_production_requires_https(
    start_notifications: Callable[..., Any], agency_session: Callable[..., BaseUrlSession]
) -> None:
    start_notifications(env="production")
    response = agency_session().post("/api/subscriptions", json={"url": "http://agency.example/h"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_url"


def test_the_event_catalogue_is_public(notifications: Any, anonymous: BaseUrlSession) -> None:
    response = anonymous.get("/api/event-types")
    assert response.status_code == 200
    catalogue = {entry["type"]: entry for entry in response.json()["event_types"]}
    assert set(catalogue) == EVENT_TYPES
    closed = catalogue["petition.closed"]
    assert closed["cloudevents_type"] == "fr.participation-hub.petition.closed"
    assert (
        closed["schema"]["type"] == "object" and "signature_count" in closed["schema"]["properties"]
    )
