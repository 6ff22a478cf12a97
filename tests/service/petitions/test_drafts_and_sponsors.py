"""Drafts, co-sponsors by link, submission (once), the author key's hash in petition.submitted."""

from __future__ import annotations

import hashlib
import time
import uuid

from kombu import Connection, Queue

from shared.bus import event_exchange
from tests.service.petitions.conftest import wait_until


def submitted_events(amqp_uri, action):
    """Runs ``action()`` (which returns a petition id) and the petition.submitted events of it."""
    queue = Queue(
        "test-" + uuid.uuid4().hex,
        exchange=event_exchange("petitions"),
        routing_key="petition.submitted",
        auto_delete=True,
    )
    with Connection(amqp_uri) as conn:
        bound = queue(conn.channel())
        bound.declare()
        petition_id = action()
        events: list = []

        def of_this_petition() -> list:
            # NOTE: other tests' petitions are submitted too; their events may come first.
            while (message := bound.get(no_ack=True)) is not None:
                events.append(message.payload)
            return [e for e in events if e["payload"]["petition_id"] == petition_id]

        wait_until(of_this_petition, timeout=10)
        time.sleep(0.3)  # a second event of this petition (submitted twice) would be here by now
        return of_this_petition()


def key_hash(petition_id: str, author_key: str) -> str:
    return hashlib.sha256(f"{petition_id}\n{author_key}".encode()).hexdigest()


def test_a_direct_creation_is_submitted_with_the_author_keys_hash(petitions, amqp_uri):
    created: dict = {}

    def create() -> str:
        created.update(petitions.create(petitions.citizen()))
        return created["id"]

    (event,) = submitted_events(amqp_uri, create)
    assert created["status"] == "submitted" and created["sponsor_count"] == 0
    assert len(created["author_key"]) >= 43 and created["sponsor_token"]
    assert event["payload"]["author_key_hash"] == key_hash(created["id"], created["author_key"])
    assert created["author_key"] not in str(event)


def test_the_author_key_is_shown_once_and_the_sponsor_link_to_the_author_only(petitions):
    author = petitions.citizen(sub="author-" + uuid.uuid4().hex)
    created = petitions.create(author)
    seen = petitions.http.get(f"/api/petitions/{created['id']}", headers=author).json()
    assert "author_key" not in seen and seen["sponsor_token"] == created["sponsor_token"]
    operator = petitions.http.get(f"/api/petitions/{created['id']}", headers=petitions.operator())
    assert "sponsor_token" not in operator.json()
    opened = petitions.decide(created["id"], "publish")
    assert "sponsor_token" not in opened
    after = petitions.http.get(f"/api/petitions/{created['id']}", headers=author).json()
    assert "sponsor_token" not in after  # the link ends with moderation


def test_a_draft_is_edited_co_sponsored_by_link_then_submitted_once(petitions, amqp_uri):
    author = petitions.citizen(sub="author-" + uuid.uuid4().hex)
    draft = petitions.create(author, draft=True)
    assert draft["status"] == "draft" and draft["author_key"]
    url = f"/api/petitions/{draft['id']}"
    edited = petitions.http.patch(
        url, json={"title": "Plant oaks along every road"}, headers=author
    )
    assert edited.status_code == 200 and edited.json()["title"] == "Plant oaks along every road"
    # others do not see a draft, unless they hold its link
    assert petitions.http.get(url, headers=petitions.citizen()).status_code == 404
    linked = petitions.http.get(url, params={"sponsor_token": draft["sponsor_token"]})
    assert linked.status_code == 200 and "sponsor_token" not in linked.json()
    sponsors = [petitions.citizen(sub="sp-" + uuid.uuid4().hex) for _ in range(2)]
    for n, sponsor in enumerate(sponsors, start=1):
        joined = petitions.http.post(
            url + "/sponsors", json={"token": draft["sponsor_token"]}, headers=sponsor
        )
        assert joined.status_code == 201 and joined.json()["sponsor_count"] == n
    # NOTE: co-sponsors vouched for this text: it no longer changes
    assert petitions.http.patch(url, json={"text": "x" * 30}, headers=author).status_code == 409

    def submit() -> str:
        response = petitions.http.post(url + "/submission", headers=author)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "submitted"
        return draft["id"]

    (event,) = submitted_events(amqp_uri, submit)
    assert event["payload"]["author_key_hash"] == key_hash(draft["id"], draft["author_key"])
    again = petitions.http.post(url + "/submission", headers=author)
    assert again.status_code == 409 and again.json()["error"] == "invalid_transition"
    assert petitions.http.get(url, headers=author).json()["sponsor_count"] == 2


def test_co_sponsoring_is_refused_to_the_author_twice_wrong_links_and_after_moderation(petitions):
    author = petitions.citizen(sub="author-" + uuid.uuid4().hex)
    petition = petitions.create(author)
    url = f"/api/petitions/{petition['id']}/sponsors"
    good = {"token": petition["sponsor_token"]}
    citizen = petitions.citizen(sub="sp-" + uuid.uuid4().hex)

    def outcome(body, headers):
        response = petitions.http.post(url, json=body, headers=headers)
        return response.status_code, response.json().get("error")

    assert outcome(good, author) == (403, "author_cannot_sponsor")
    assert outcome({"token": "guessed"}, citizen) == (404, "not_found")
    assert outcome(good, petitions.citizen(adult=False)) == (403, "not_adult")
    assert outcome(good, citizen) == (201, None)
    assert outcome(good, citizen) == (409, "already_sponsored")
    assert outcome({"token": good["token"], "extra": 1}, citizen)[0] == 400
    petitions.decide(petition["id"], "publish")
    assert outcome(good, petitions.citizen()) == (409, "sponsoring_closed")
    shown = petitions.http.get(f"/api/petitions/{petition['id']}").json()
    assert shown["sponsor_count"] == 1


def test_only_the_author_edits_or_submits_and_only_a_draft(petitions):
    author = petitions.citizen(sub="author-" + uuid.uuid4().hex)
    draft = petitions.create(author, draft=True)
    url = f"/api/petitions/{draft['id']}"
    stranger = petitions.citizen()
    assert petitions.http.post(url + "/submission", headers=stranger).status_code == 404
    assert (
        petitions.http.patch(url, json={"min_acr": "eidas2"}, headers=stranger).status_code == 404
    )
    assert petitions.http.patch(url, json={}, headers=author).status_code == 400
    assert petitions.http.patch(url, json={"status": "open"}, headers=author).status_code == 400
    submitted = petitions.create(author)
    response = petitions.http.patch(
        f"/api/petitions/{submitted['id']}", json={"min_acr": "eidas2"}, headers=author
    )
    assert response.status_code == 409
    # a draft is not in the moderation queue, and cannot be published
    listed = petitions.http.get(
        "/api/petitions", params={"status": "submitted", "limit": 100}, headers=petitions.operator()
    ).json()
    assert draft["id"] not in [p["id"] for p in listed["items"]]
    refused = petitions.http.post(
        url + "/moderation", json={"decision": "publish"}, headers=petitions.operator()
    )
    assert refused.status_code == 409


def test_a_deployment_requiring_co_sponsors_holds_submission_until_they_join(start_petitions):
    petitions = start_petitions(petition_min_sponsors=2)
    author = petitions.citizen(sub="author-" + uuid.uuid4().hex)
    direct = petitions.http.post(
        "/api/petitions",
        json={"title": "Plant trees along every road", "text": "Trees cool our towns, really."},
        headers=author,
    )
    assert direct.status_code == 409 and direct.json()["error"] == "not_enough_sponsors"
    draft = petitions.create(author, draft=True)
    url = f"/api/petitions/{draft['id']}"
    petitions.http.post(
        url + "/sponsors", json={"token": draft["sponsor_token"]}, headers=petitions.citizen()
    )
    early = petitions.http.post(url + "/submission", headers=author)
    assert early.status_code == 409 and early.json()["error"] == "not_enough_sponsors"
    petitions.http.post(
        url + "/sponsors", json={"token": draft["sponsor_token"]}, headers=petitions.citizen()
    )
    assert petitions.http.post(url + "/submission", headers=author).status_code == 200
