"""Petition authors' e-mail: registration with the author key, notices (published, rejected,
threshold reached) in French and English, one-click unsubscribe, and the address erased when the
petition ends; against a real SMTP server, PostgreSQL and RabbitMQ."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from shared.envelope import Envelope
from shared.testing import BaseUrlSession

from .support import Mailbox, petition_event, wait_until

Publish = Callable[[Envelope], None]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def notifications_with_mail(start_notifications: Callable[..., Any], mailbox: Mailbox) -> Any:
    return start_notifications(smtp_url=mailbox.url)


def submit(publish: Publish) -> tuple[str, str]:
    """What the petitions service announces when an author creates a petition; the author holds
    the key."""
    petition_id, author_key = str(uuid.uuid4()), secrets.token_urlsafe(32)
    digest = hashlib.sha256(f"{petition_id}\n{author_key}".encode()).hexdigest()
    publish(petition_event("petition.submitted", petition_id=petition_id, author_key_hash=digest))
    return petition_id, author_key


def register(
    anonymous: BaseUrlSession, petition_id: str, author_key: str, **body: Any
) -> tuple[str, dict[str, Any]]:
    """POST /api/author-emails, retrying while petition.submitted has not arrived yet."""
    payload = {
        "petition_id": petition_id,
        "author_key": author_key,
        "email": f"{uuid.uuid4().hex[:10]}@example.fr",
        **body,
    }

    def attempt() -> Any:
        response = anonymous.post("/api/author-emails", json=payload)
        return None if response.status_code == 404 else response

    response = wait_until(attempt)
    assert response is not None and response.status_code == 202, response
    return payload["email"], response.json()


def _text(message: Any) -> str:
    return message.get_body(("plain",)).get_content()


def _html(message: Any) -> str:
    return message.get_body(("html",)).get_content()


def _stored(engine: sa.Engine, email: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM author_subscribers WHERE email = :e) + "
                    "(SELECT count(*) FROM mail_outbox WHERE recipient = :e)"
                ),
                {"e": email},
            ).scalar()
        )


def _assert_one_click(message: Any, base_url: str) -> str:
    assert message["List-Unsubscribe"].startswith(f"<{base_url}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return str(message["List-Unsubscribe"]).strip("<>")


def test_an_author_hears_of_publication_and_thresholds_in_english(
    notifications_with_mail: Any,
    mailbox: Mailbox,
    anonymous: BaseUrlSession,
    publish: Publish,
    notifications_db: sa.Engine,
    base_url: str,
) -> None:
    petition_id, key = submit(publish)
    email, answer = register(anonymous, petition_id, key, locale="en")
    assert answer == {"status": "registered", "replaced": False}
    publish(
        petition_event(
            "petition.published",
            petition_id=petition_id,
            title="Safe <bike> lanes",
            published_at="2026-03-01T10:00:00Z",
            deadline="2026-08-30T10:00:00Z",
        )
    )
    [notice] = wait_until(lambda: mailbox.to(email))
    assert notice["Subject"] == "Your petition is published: Safe <bike> lanes"
    assert notice["Content-Language"] == "en"
    _assert_one_click(notice, base_url)
    text, html = _text(notice), _html(notice)
    assert "“Safe <bike> lanes” is published" in text and "until 2026-08-30 (UTC)" in text
    assert "Safe &lt;bike&gt; lanes" in html and "<bike>" not in html and "2026-08-30" in html
    threshold = petition_event(
        "petition.threshold_reached",
        petition_id=petition_id,
        threshold=100000,
        signature_count=100003,
    )
    publish(threshold)
    publish(threshold)  # redelivered: still one notice
    [_, reached] = wait_until(lambda: mailbox.to(email)[1:] and mailbox.to(email))
    assert reached["Subject"] == "Your petition reached 100,000 signatures: Safe <bike> lanes"
    assert "threshold of 100,000 signatures; it now has 100,003" in _text(reached)
    assert "100,003" in _html(reached)
    _assert_one_click(reached, base_url)
    assert _stored(notifications_db, email) == 1  # kept for later thresholds
    publish(petition_event("petition.closed", petition_id=petition_id, signature_count=100003))
    assert wait_until(lambda: _stored(notifications_db, email) == 0)
    time.sleep(1.0)
    assert len(mailbox.to(email)) == 2


def test_a_rejection_is_explained_in_french_and_the_address_erased(
    notifications_with_mail: Any,
    mailbox: Mailbox,
    anonymous: BaseUrlSession,
    publish: Publish,
    notifications_db: sa.Engine,
    base_url: str,
) -> None:
    petition_id, key = submit(publish)
    email, _ = register(anonymous, petition_id, key, locale="fr")
    publish(petition_event("petition.rejected", petition_id=petition_id, reason="not_actionable"))
    [notice] = wait_until(lambda: mailbox.to(email))
    assert notice["Subject"] == f"Votre pétition n'a pas été publiée : n° {petition_id}"
    assert notice["Content-Language"] == "fr"
    _assert_one_click(notice, base_url)
    explained = "elle ne demande pas quelque chose que les pouvoirs publics peuvent faire"
    assert explained in _text(notice) and explained in _html(notice)
    assert "effacée" in _text(notice)
    assert wait_until(lambda: _stored(notifications_db, email) == 0)
    again = anonymous.post(
        "/api/author-emails",
        json={"petition_id": petition_id, "author_key": key, "email": email},
    )
    assert again.status_code == 409 and again.json()["error"] == "petition_ended"
    assert _stored(notifications_db, email) == 0


def test_a_wrong_author_key_is_refused_and_nothing_is_kept(
    notifications_with_mail: Any,
    mailbox: Mailbox,
    anonymous: BaseUrlSession,
    publish: Publish,
    notifications_db: sa.Engine,
) -> None:
    petition_id, key = submit(publish)
    register(anonymous, petition_id, key)  # the event has arrived
    for petition, wrong in ((petition_id, key + "x"), (str(uuid.uuid4()), key)):
        body = {"petition_id": petition, "author_key": wrong, "email": "intruder@example.fr"}
        refused = anonymous.post("/api/author-emails", json=body)
        assert refused.status_code == 404 and refused.headers["Retry-After"] == "2"
        assert refused.json()["error"] == "author_key_not_found"
    assert _stored(notifications_db, "intruder@example.fr") == 0
    publish(petition_event("petition.published", petition_id=petition_id, title="T"))
    time.sleep(1.0)
    assert mailbox.to("intruder@example.fr") == []


def test_registering_again_replaces_the_address(
    notifications_with_mail: Any,
    mailbox: Mailbox,
    anonymous: BaseUrlSession,
    publish: Publish,
    notifications_db: sa.Engine,
) -> None:
    petition_id, key = submit(publish)
    mistyped, _ = register(anonymous, petition_id, key)
    corrected, answer = register(anonymous, petition_id, key, locale="en")
    assert answer == {"status": "registered", "replaced": True}
    assert _stored(notifications_db, mistyped) == 0
    publish(petition_event("petition.published", petition_id=petition_id, title="Trees"))
    [notice] = wait_until(lambda: mailbox.to(corrected))
    assert notice["Subject"] == "Your petition is published: Trees"
    assert mailbox.to(mistyped) == []


def test_one_click_unsubscribe_stops_the_notices(
    notifications_with_mail: Any,
    mailbox: Mailbox,
    anonymous: BaseUrlSession,
    publish: Publish,
    notifications_db: sa.Engine,
    base_url: str,
) -> None:
    petition_id, key = submit(publish)
    email, _ = register(anonymous, petition_id, key)
    publish(petition_event("petition.published", petition_id=petition_id, title="Bancs publics"))
    [notice] = wait_until(lambda: mailbox.to(email))
    assert notice["Subject"] == "Votre pétition est publiée : Bancs publics"
    url = _assert_one_click(notice, base_url)
    assert requests.get(url, timeout=5).status_code == 200  # a link scanner: nothing happens
    assert _stored(notifications_db, email) == 1
    done = requests.post(
        url,
        data="List-Unsubscribe=One-Click",
        timeout=5,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and _stored(notifications_db, email) == 0
    publish(
        petition_event(
            "petition.threshold_reached", petition_id=petition_id, threshold=10, signature_count=10
        )
    )
    time.sleep(1.5)
    assert len(mailbox.to(email)) == 1


@pytest.mark.parametrize("ending", ["petition.withdrawn", "petition.hidden"])
def test_a_withdrawn_or_hidden_petition_erases_the_address(
    notifications_with_mail: Any,
    mailbox: Mailbox,
    anonymous: BaseUrlSession,
    publish: Publish,
    notifications_db: sa.Engine,
    ending: str,
) -> None:
    petition_id, key = submit(publish)
    email, _ = register(anonymous, petition_id, key)
    assert _stored(notifications_db, email) == 1
    publish(petition_event(ending, petition_id=petition_id))
    assert wait_until(lambda: _stored(notifications_db, email) == 0)
    publish(
        petition_event(
            "petition.threshold_reached", petition_id=petition_id, threshold=10, signature_count=10
        )
    )
    time.sleep(1.0)
    assert mailbox.to(email) == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"email": "not an address"}, "invalid_email"),
        ({"email": "a@example.fr\r\nBcc: x@evil.example"}, "invalid_email"),
        ({"locale": "de"}, "invalid_locale"),
        ({"author_key": ""}, "invalid_author_key"),
        ({"author_key": 12}, "invalid_author_key"),
        ({"petition_id": None}, "invalid_petition_id"),
        ({"extra": 1}, "unknown_field"),
    ],
)
def test_bad_registrations_are_refused_clearly(
    notifications_with_mail: Any, anonymous: BaseUrlSession, change: dict, code: str
) -> None:
    body = {"petition_id": "p", "author_key": "k", "email": "a@example.fr", **change}
    response = anonymous.post("/api/author-emails", json=body)
    assert response.status_code == 400 and response.json()["error"] == code
