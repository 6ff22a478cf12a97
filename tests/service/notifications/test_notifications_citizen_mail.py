"""Citizens' e-mail: confirmation with the receipt, the outcome for those who asked, one-click
unsubscribe; against a real SMTP server, PostgreSQL and RabbitMQ."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from shared.testing import BaseUrlSession

from .support import Mailbox, petition_event, wait_until

Publish = Callable[[Any], None]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def notifications_with_mail(start_notifications: Callable[..., Any], mailbox: Mailbox) -> Any:
    return start_notifications(smtp_url=mailbox.url)


def receipt_of(petition_id: str | None = None) -> dict[str, str]:
    """A receipt as the petitions service hands it to a signing citizen."""
    petition_id = petition_id or str(uuid.uuid4())
    signature_id, signed_at = str(uuid.uuid4()), "2026-03-02T09:30:00.123456Z"
    digest = hashlib.sha256(f"{petition_id}\n{signature_id}\n{signed_at}".encode()).hexdigest()
    return {
        "signature_id": signature_id,
        "petition_id": petition_id,
        "signed_at": signed_at,
        "hash": digest,
    }


def sign(publish: Publish, petition_id: str | None = None) -> dict[str, str]:
    """What the petitions service announces when a citizen signs (its batch of receipts, here a
    batch of one); the citizen holds the receipt."""
    receipt = receipt_of(petition_id)
    publish(petition_event("petition.signatures_recorded", receipts=[receipt]))
    return receipt


def ask(anonymous: BaseUrlSession, receipt: dict[str, str], **body: Any) -> Any:
    """POST /api/signature-emails, retrying while the receipt has not arrived yet."""
    payload = {"receipt": receipt, "email": f"{uuid.uuid4().hex[:10]}@example.fr", **body}

    def attempt() -> Any:
        response = anonymous.post("/api/signature-emails", json=payload)
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
                    "SELECT (SELECT count(*) FROM outcome_subscribers WHERE email = :e) + "
                    "(SELECT count(*) FROM mail_outbox WHERE recipient = :e)"
                ),
                {"e": email},
            ).scalar()
        )


def test_a_signer_gets_a_confirmation_with_the_receipt_in_french(
    notifications_with_mail: Any,
    mailbox: Mailbox,
    anonymous: BaseUrlSession,
    publish: Publish,
    notifications_db: sa.Engine,
) -> None:
    petition_id = str(uuid.uuid4())
    publish(
        petition_event(
            "petition.published",
            petition_id=petition_id,
            title="Des pistes <cyclables>",
            published_at="2026-03-01T10:00:00Z",
        )
    )
    time.sleep(0.5)
    receipt = sign(publish, petition_id)
    email, answer = ask(anonymous, receipt, locale="fr")
    assert answer == {"status": "queued", "notify_outcome": False}
    [message] = wait_until(lambda: mailbox.to(email))
    assert message["Subject"] == "Votre signature est enregistrée : Des pistes <cyclables>"
    assert message["Content-Language"] == "fr" and "List-Unsubscribe" not in message
    text, html = _text(message), _html(message)
    for value in receipt.values():
        assert value in text and value in html
    assert "Des pistes &lt;cyclables&gt;" in html and "<cyclables>" not in html
    assert "pas conservé votre adresse" in text
    assert wait_until(lambda: _stored(notifications_db, email) == 0)  # not kept once sent


def test_opted_in_signers_get_the_outcome_then_their_address_is_erased(
    notifications_with_mail: Any,
    mailbox: Mailbox,
    anonymous: BaseUrlSession,
    publish: Publish,
    notifications_db: sa.Engine,
    base_url: str,
) -> None:
    receipt = sign(publish)
    email, answer = ask(anonymous, receipt, locale="en", notify_outcome=True)
    assert answer["notify_outcome"] is True
    [confirmation] = wait_until(lambda: mailbox.to(email))
    assert confirmation["Subject"].startswith("Your signature is recorded")
    assert confirmation["List-Unsubscribe"].startswith(f"<{base_url}/unsubscribe/")
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert _stored(notifications_db, email) == 1  # kept for the outcome
    publish(
        petition_event(
            "petition.closed",
            petition_id=receipt["petition_id"],
            signature_count=12345,
            closed_at="2026-09-01T00:00:00Z",
        )
    )
    outcome = wait_until(lambda: mailbox.to(email)[1:])
    assert outcome, "no outcome mail"
    assert "closed with 12345 signatures" in _text(outcome[0])
    assert outcome[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert wait_until(lambda: _stored(notifications_db, email) == 0)


def test_one_click_unsubscribe_needs_no_login_and_stops_the_outcome_mail(
    notifications_with_mail: Any,
    mailbox: Mailbox,
    anonymous: BaseUrlSession,
    publish: Publish,
    notifications_db: sa.Engine,
) -> None:
    receipt = sign(publish)
    email, _ = ask(anonymous, receipt, notify_outcome=True)
    [confirmation] = wait_until(lambda: mailbox.to(email))
    url = confirmation["List-Unsubscribe"].strip("<>")
    page = requests.get(url, timeout=5)  # a link scanner: nothing happens
    assert page.status_code == 200 and '<form method="post">' in page.text
    assert _stored(notifications_db, email) == 1
    done = requests.post(
        url,
        data="List-Unsubscribe=One-Click",
        timeout=5,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and _stored(notifications_db, email) == 0
    assert requests.post(url, timeout=5).status_code == 200  # again: still fine
    publish(
        petition_event("petition.closed", petition_id=receipt["petition_id"], signature_count=3)
    )
    time.sleep(1.5)
    assert len(mailbox.to(email)) == 1


def test_a_withdrawn_signature_erases_the_address(
    notifications_with_mail: Any,
    mailbox: Mailbox,
    anonymous: BaseUrlSession,
    publish: Publish,
    notifications_db: sa.Engine,
) -> None:
    receipt = sign(publish)
    email, _ = ask(anonymous, receipt, notify_outcome=True)
    assert _stored(notifications_db, email) >= 1
    publish(
        petition_event(
            "petition.signature_withdrawn",
            petition_id=receipt["petition_id"],
            signature_id=receipt["signature_id"],
        )
    )
    wait_until(lambda: mailbox.to(email))
    assert wait_until(lambda: _stored(notifications_db, email) == 0)


def test_a_forged_or_reused_receipt_is_refused(
    notifications_with_mail: Any, mailbox: Mailbox, anonymous: BaseUrlSession, publish: Publish
) -> None:
    receipt = sign(publish)
    forged = {**receipt, "hash": "0" * 64}
    ask(anonymous, receipt)
    refused = anonymous.post(
        "/api/signature-emails", json={"receipt": forged, "email": "a@example.fr"}
    )
    assert refused.status_code == 404 and refused.headers["Retry-After"] == "2"
    reused = anonymous.post(
        "/api/signature-emails", json={"receipt": receipt, "email": "b@example.fr"}
    )
    assert reused.status_code == 409 and reused.json()["error"] == "receipt_used"
    time.sleep(1.0)
    assert mailbox.to("a@example.fr") == [] and mailbox.to("b@example.fr") == []


def test_every_receipt_of_a_batch_is_kept_and_the_single_receipt_event_still_works(
    notifications_with_mail: Any, mailbox: Mailbox, anonymous: BaseUrlSession, publish: Publish
) -> None:
    batch = [receipt_of() for _ in range(3)]
    publish(petition_event("petition.signatures_recorded", receipts=batch))
    legacy = receipt_of()  # the event of one signature, from before signatures were batched
    publish(petition_event("petition.signature_recorded", **legacy))
    for receipt in [*batch, legacy]:
        email, _ = ask(anonymous, receipt)
        assert wait_until(lambda email=email: mailbox.to(email))


def test_a_batch_with_a_forged_receipt_is_refused_whole(
    notifications_with_mail: Any, anonymous: BaseUrlSession, publish: Publish
) -> None:
    good = receipt_of()
    forged = {**receipt_of(), "hash": "0" * 64}
    publish(petition_event("petition.signatures_recorded", receipts=[good, forged]))
    time.sleep(1.5)
    refused = anonymous.post(
        "/api/signature-emails", json={"receipt": good, "email": "a@example.fr"}
    )
    assert refused.status_code == 404


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"email": "not an address"}, "invalid_email"),
        ({"email": "a@example.fr\r\nBcc: x@evil.example"}, "invalid_email"),
        ({"locale": "de"}, "invalid_locale"),
        ({"notify_outcome": "yes"}, "invalid_notify_outcome"),
        ({"receipt": {"signature_id": "x"}}, "invalid_receipt"),
        ({"extra": 1}, "unknown_field"),
    ],
)
def test_bad_requests_are_refused_clearly(
    notifications_with_mail: Any, anonymous: BaseUrlSession, change: dict, code: str
) -> None:
    receipt = {"signature_id": "s", "petition_id": "p", "signed_at": "t", "hash": "a" * 64}
    body = {"receipt": receipt, "email": "a@example.fr", **change}
    response = anonymous.post("/api/signature-emails", json=body)
    assert response.status_code == 400 and response.json()["error"] == code


def test_mail_waits_for_an_unreachable_smtp_server_and_is_sent_later(
    start_notifications: Callable[..., Any], anonymous: BaseUrlSession, publish: Publish
) -> None:
    box = Mailbox()  # its port is chosen, nobody listens yet
    start_notifications(smtp_url=box.url)
    email, _ = ask(anonymous, sign(publish))
    time.sleep(1.0)
    box.start()
    try:
        assert box.wait_for(1, timeout=15) and box.to(email)  # the retry 5 s later
    finally:
        box.stop()
