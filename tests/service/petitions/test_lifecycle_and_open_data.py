"""Lifecycle beyond publishing, thresholds, geographic counts, caching and open data."""

from __future__ import annotations

import csv
import io
import uuid

import sqlalchemy as sa
from kombu import Connection, Queue

from services.petitions.storage.tables import petitions as petitions_table
from shared.bus import event_exchange
from tests.service.petitions.conftest import wait_until


def sign(petitions, petition_id, **body):
    headers = petitions.citizen(sub="s-" + uuid.uuid4().hex)
    return petitions.http.post(
        f"/api/petitions/{petition_id}/signatures", json=body or None, headers=headers
    )


def listen(amqp_uri, routing_key):
    queue = Queue(
        "test-" + uuid.uuid4().hex,
        exchange=event_exchange("petitions"),
        routing_key=routing_key,
        auto_delete=True,
    )
    conn = Connection(amqp_uri)
    bound = queue(conn.channel())
    bound.declare()
    return conn, bound


def drain(bound, petition_id):
    found = []
    message = bound.get(no_ack=True)
    while message is not None:
        if message.payload["payload"].get("petition_id") == petition_id:
            found.append(message.payload)
        message = bound.get(no_ack=True)
    return found


def test_each_threshold_is_announced_exactly_once(petitions, amqp_uri):
    conn, bound = listen(amqp_uri, "petition.threshold_reached")
    try:
        petition = petitions.published()
        events: list[dict] = []
        for _ in range(3):
            assert sign(petitions, petition["id"]).status_code == 201
        wait_until(lambda: events.extend(drain(bound, petition["id"])) or len(events) >= 2, 30)
        # withdraw one and sign again: 3 is reached a second time but never announced again
        citizen = petitions.citizen(sub="again-" + uuid.uuid4().hex)
        url = f"/api/petitions/{petition['id']}/signatures"
        petitions.http.post(url, headers=citizen)
        petitions.http.delete(url + "/me", headers=citizen)
        petitions.http.post(url, headers=citizen)
        wait_until(
            lambda: (
                petitions.http.get(f"/api/petitions/{petition['id']}").json()["signature_count"]
                == 4
            )
        )
        import time

        time.sleep(2.5)  # two announcement rounds
        events.extend(drain(bound, petition["id"]))
    finally:
        conn.release()
    assert sorted(e["payload"]["threshold"] for e in events) == [2, 3]


def test_an_open_petition_closes_at_its_deadline(petitions, amqp_uri):
    conn, bound = listen(amqp_uri, "petition.closed")
    try:
        petition = petitions.published()
        assert sign(petitions, petition["id"]).status_code == 201
        with petitions.db().begin() as db:
            db.execute(
                sa.update(petitions_table)
                .where(petitions_table.c.id == petition["id"])
                .values(deadline=sa.func.now())
            )
        closed = wait_until(lambda: drain(bound, petition["id"]), timeout=15)
    finally:
        conn.release()
    assert closed[0]["payload"]["signature_count"] == 1
    assert petitions.http.get(f"/api/petitions/{petition['id']}").json()["status"] == "closed"
    late = sign(petitions, petition["id"])
    assert late.status_code == 410 and late.json()["error"] == "petition_closed"


def test_operator_closes_early_and_hides(petitions):
    petition = petitions.published()
    url = f"/api/petitions/{petition['id']}/moderation"
    closed = petitions.http.post(url, json={"decision": "close"}, headers=petitions.operator())
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    hidden = petitions.http.post(url, json={"decision": "hide"}, headers=petitions.operator())
    assert hidden.status_code == 200 and hidden.json()["status"] == "hidden"
    assert petitions.http.get(f"/api/petitions/{petition['id']}").status_code == 404
    as_operator = petitions.http.get(
        f"/api/petitions/{petition['id']}", headers=petitions.operator()
    )
    assert as_operator.json()["status"] == "hidden"


def test_only_the_author_withdraws_a_petition(petitions):
    author = petitions.citizen(sub="author-" + uuid.uuid4().hex)
    petition = petitions.create(author)
    url = f"/api/petitions/{petition['id']}/withdrawal"
    stranger = petitions.http.post(url, headers=petitions.citizen())
    assert stranger.status_code == 403
    withdrawn = petitions.http.post(url, headers=author)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert petitions.http.post(url, headers=author).status_code == 409


def test_counts_per_departement(petitions):
    petition = petitions.published()
    for dep in ("75", "75", "2A", None):
        assert (
            sign(petitions, petition["id"], **({"departement": dep} if dep else {})).status_code
            == 201
        )
    bad = sign(petitions, petition["id"], departement="99")
    assert bad.status_code == 400
    shown = petitions.http.get(f"/api/petitions/{petition['id']}").json()
    assert shown["signature_count"] == 4
    assert shown["signatures_by_departement"] == {"75": 2, "2A": 1}


def test_search_finds_petitions_by_words(petitions):
    word = "zq" + uuid.uuid4().hex[:8]
    petition = petitions.published(title=f"Protect the {word} meadows now")
    petitions.published()
    found = petitions.http.get("/api/petitions", params={"q": word}).json()["items"]
    assert [p["id"] for p in found] == [petition["id"]]
    assert petitions.http.get("/api/petitions", params={"q": "%"}).status_code == 200


def test_readers_can_be_served_from_a_cache(petitions):
    petition = petitions.published()
    first = petitions.http.get(f"/api/petitions/{petition['id']}")
    assert first.headers["Cache-Control"] == "public, max-age=1"
    etag = first.headers["ETag"]
    again = petitions.http.get(f"/api/petitions/{petition['id']}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert sign(petitions, petition["id"]).status_code == 201
    changed = petitions.http.get(
        f"/api/petitions/{petition['id']}", headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.json()["signature_count"] == 1


def test_open_data_export_has_counts_and_no_personal_data(petitions):
    petition = petitions.published(title="=HYPERLINK(1) open data petition")
    assert sign(petitions, petition["id"], departement="13").status_code == 201
    hidden = petitions.create(petitions.citizen())
    as_json = petitions.http.get("/api/petitions/export.json").json()["items"]
    row = next(r for r in as_json if r["id"] == petition["id"])
    assert row["signature_count"] == 1 and row["signatures_by_departement"] == {"13": 1}
    assert hidden["id"] not in {r["id"] for r in as_json}
    assert "author_sub" not in row and "citizen_sub" not in str(as_json)
    as_csv = list(csv.DictReader(io.StringIO(petitions.http.get("/api/petitions/export.csv").text)))
    csv_row = next(r for r in as_csv if r["id"] == petition["id"])
    assert csv_row["signature_count"] == "1"
    assert csv_row["title"].startswith("'=")  # not run as a formula by spreadsheets
