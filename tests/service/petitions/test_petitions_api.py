"""The petitions service over real HTTP, PostgreSQL and RabbitMQ, with tokens from a test issuer."""

from __future__ import annotations

import threading
import uuid

import sqlalchemy as sa
from kombu import Connection, Queue

from services.petitions.storage.tables import signatures
from shared.bus import event_exchange
from tests.service.petitions.conftest import wait_until


def test_citizen_creates_petition_awaiting_moderation(petitions):
    created = petitions.create(petitions.citizen())
    assert created["status"] == "submitted"
    assert created["signature_count"] == 0
    # not public until published
    assert petitions.http.get(f"/api/petitions/{created['id']}").status_code == 404


def test_operator_publishes_and_anyone_reads_the_count(petitions):
    petition = petitions.published()
    assert petition["status"] == "open"
    shown = petitions.http.get(f"/api/petitions/{petition['id']}").json()
    assert shown["status"] == "open" and shown["signature_count"] == 0
    listed = petitions.http.get("/api/petitions", params={"status": "open", "limit": 100}).json()
    assert petition["id"] in [p["id"] for p in listed["items"]]


def test_citizen_signs_once_and_gets_a_receipt(petitions):
    petition = petitions.published()
    citizen = petitions.citizen(sub="citizen-" + uuid.uuid4().hex)
    first = petitions.http.post(f"/api/petitions/{petition['id']}/signatures", headers=citizen)
    assert first.status_code == 201, first.text
    receipt = first.json()["receipt"]
    assert receipt["petition_id"] == petition["id"] and len(receipt["hash"]) == 64
    again = petitions.http.post(f"/api/petitions/{petition['id']}/signatures", headers=citizen)
    assert again.status_code == 409 and again.json()["error"] == "already_signed"
    assert petitions.http.get(f"/api/petitions/{petition['id']}").json()["signature_count"] == 1


def test_two_simultaneous_signatures_of_one_citizen_count_once(petitions):
    petition = petitions.published()
    citizen = petitions.citizen(sub="racer-" + uuid.uuid4().hex)
    statuses: list[int] = []

    def sign() -> None:
        statuses.append(
            petitions.http.post(
                f"/api/petitions/{petition['id']}/signatures", headers=citizen
            ).status_code
        )

    threads = [threading.Thread(target=sign) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 5
    with petitions.db().connect() as conn:
        rows = conn.execute(
            sa.select(sa.func.count())
            .select_from(signatures)
            .where(signatures.c.petition_id == petition["id"])
        ).scalar()
    assert rows == 1


def test_ineligible_citizens_are_refused_with_a_reason(petitions):
    petition = petitions.published(min_acr="eidas2")
    low = petitions.http.post(
        f"/api/petitions/{petition['id']}/signatures", headers=petitions.citizen(acr="eidas1")
    )
    assert low.status_code == 403 and low.json()["error"] == "acr_too_low"
    minor = petitions.http.post(
        f"/api/petitions/{petition['id']}/signatures",
        headers=petitions.citizen(acr="eidas3", adult=False),
    )
    assert minor.status_code == 403 and minor.json()["error"] == "not_adult"


def test_signing_an_unpublished_petition_is_refused(petitions):
    petition = petitions.create(petitions.citizen())
    response = petitions.http.post(
        f"/api/petitions/{petition['id']}/signatures", headers=petitions.citizen()
    )
    assert response.status_code == 409 and response.json()["error"] == "petition_not_open"


def test_withdrawal_removes_the_signature_from_the_count(petitions):
    petition = petitions.published()
    citizen = petitions.citizen(sub="w-" + uuid.uuid4().hex)
    assert (
        petitions.http.post(
            f"/api/petitions/{petition['id']}/signatures", headers=citizen
        ).status_code
        == 201
    )
    assert (
        petitions.http.delete(
            f"/api/petitions/{petition['id']}/signatures/me", headers=citizen
        ).status_code
        == 204
    )
    assert petitions.http.get(f"/api/petitions/{petition['id']}").json()["signature_count"] == 0
    again = petitions.http.delete(f"/api/petitions/{petition['id']}/signatures/me", headers=citizen)
    assert again.status_code == 404


def test_operator_rejects_with_a_documented_reason(petitions):
    petition = petitions.create(petitions.citizen())
    url = f"/api/petitions/{petition['id']}/moderation"
    missing = petitions.http.post(url, json={"decision": "reject"}, headers=petitions.operator())
    assert missing.status_code == 400
    rejected = petitions.http.post(
        url, json={"decision": "reject", "reason": "duplicate"}, headers=petitions.operator()
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    twice = petitions.http.post(url, json={"decision": "publish"}, headers=petitions.operator())
    assert twice.status_code == 409


def test_citizens_cannot_moderate(petitions):
    petition = petitions.create(petitions.citizen())
    response = petitions.http.post(
        f"/api/petitions/{petition['id']}/moderation",
        json={"decision": "publish"},
        headers=petitions.citizen(),
    )
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"


def test_published_and_count_events_reach_the_bus(petitions, amqp_uri):
    queue = Queue(
        "test-" + uuid.uuid4().hex,
        exchange=event_exchange("petitions"),
        routing_key="petition.*",
        auto_delete=True,
    )
    with Connection(amqp_uri) as conn:
        bound = queue(conn.channel())
        bound.declare()
        petition = petitions.published()
        petitions.http.post(
            f"/api/petitions/{petition['id']}/signatures", headers=petitions.citizen()
        )
        seen: dict[str, dict] = {}

        def received() -> bool:
            message = bound.get(no_ack=True)
            while message is not None:
                body = message.payload
                if body["payload"].get("petition_id") == petition["id"]:
                    seen[body["type"]] = body
                message = bound.get(no_ack=True)
            return "petition.signature_count_changed" in seen

        wait_until(received, timeout=10)
    assert seen["petition.published"]["payload"]["title"] == petition["title"]
    assert seen["petition.signature_count_changed"]["payload"]["signature_count"] == 1
    assert "citizen_sub" not in str(seen)


def test_bad_input_gets_json_errors_and_writes_nothing(petitions):
    citizen = petitions.citizen()
    cases = [
        petitions.http.post(
            "/api/petitions",
            data="{not json",
            headers={**citizen, "Content-Type": "application/json"},
        ),
        petitions.http.post(
            "/api/petitions", json={"title": "short", "text": "x"}, headers=citizen
        ),
        petitions.http.post(
            "/api/petitions",
            json={"title": "A long enough title", "text": "A long enough text here.", "extra": 1},
            headers=citizen,
        ),
        petitions.http.post(
            "/api/petitions",
            data="title=x",
            headers={**citizen, "Content-Type": "application/x-www-form-urlencoded"},
        ),
        petitions.http.post(
            "/api/petitions",
            json={"title": "A long enough title", "text": "x" * 70000},
            headers=citizen,
        ),
        petitions.http.post(
            "/api/petitions",
            json={"title": "A long enough title", "text": "A long enough text here."},
        ),
        petitions.http.post(
            "/api/petitions",
            json={"title": "A long enough title", "text": "A long enough text here."},
            headers={"Authorization": "Bearer forged.token.value"},
        ),
        petitions.http.get("/api/petitions/" + str(uuid.uuid4())),
        petitions.http.get("/no/such/route"),
        petitions.http.put("/api/petitions"),
    ]
    assert [r.status_code for r in cases] == [400, 400, 400, 415, 413, 401, 401, 404, 404, 405]
    for response in cases:
        assert response.headers["Content-Type"].startswith("application/json")
        assert set(response.json()) == {"error", "message"}
        assert "Traceback" not in response.text


def test_expired_and_wrong_audience_tokens_are_refused(petitions):
    expired = petitions.issuer.citizen_token(petitions.url, ttl=-120)
    other = petitions.issuer.citizen_token("http://elsewhere.example")
    for token in (expired, other):
        response = petitions.http.post(
            "/api/petitions",
            json={"title": "A long enough title", "text": "A long enough text here."},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401 and response.json()["error"] == "invalid_token"


def test_health_and_readiness(petitions):
    assert petitions.http.get("/healthz").json() == {"status": "ok"}
    ready = petitions.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {
        "database": True,
        "broker": True,
        "revocations": True,  # the deny-list is loaded (shared/denylist.py)
    }


def test_the_correlation_id_follows_a_request_into_its_events(petitions, amqp_uri):
    queue = Queue(
        "test-" + uuid.uuid4().hex,
        exchange=event_exchange("petitions"),
        routing_key="petition.published",
        auto_delete=True,
    )
    with Connection(amqp_uri) as conn:
        bound = queue(conn.channel())
        bound.declare()
        petition = petitions.create(petitions.citizen())
        response = petitions.http.post(
            f"/api/petitions/{petition['id']}/moderation",
            json={"decision": "publish"},
            headers={**petitions.operator(), "X-Correlation-ID": "moderation-77"},
        )
        assert response.headers["X-Correlation-ID"] == "moderation-77"
        message = wait_until(lambda: bound.get(no_ack=True), timeout=10)
    assert message.payload["correlation_id"] == "moderation-77"
    assert message.headers["nameko.correlation_id"] == "moderation-77"
