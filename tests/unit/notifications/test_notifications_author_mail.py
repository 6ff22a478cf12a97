"""Petition authors' e-mail: the author key, requests, notices, and the use cases on SQLite."""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.notifications.mail.domain import letters
from services.notifications.mail.domain.authors import author_key_hash, holds_author_key
from services.notifications.mail.domain.errors import (
    AuthorKeyNotFound,
    Conflict,
    InvalidEvent,
    InvalidRequest,
)
from services.notifications.mail.handlers import authors
from services.notifications.mail.schemas import author_letters, bus
from services.notifications.mail.schemas import message as mail_message
from services.notifications.mail.schemas.bus import submitted_author
from services.notifications.mail.schemas.letters import Letters
from services.notifications.mail.schemas.requests import author_email_request
from services.notifications.mail.storage.tables import author_subscribers, mail_outbox
from services.notifications.storage.tables import metadata
from services.petitions.domain import REJECTION_REASONS
from shared.db import UnitOfWork
from shared.envelope import Envelope

CONTEXT = mail_message.MailContext("https://hub.example.fr")
LETTERS = Letters(CONTEXT)
KEY = "k" * 43


def test_only_the_author_key_matches_its_hash() -> None:
    recorded = author_key_hash("p-1", KEY)
    assert holds_author_key(recorded, "p-1", KEY)
    assert not holds_author_key(recorded, "p-1", KEY + "x")
    assert not holds_author_key(recorded, "p-2", KEY)  # the hash binds the petition too
    assert not holds_author_key(None, "p-1", KEY)


def test_a_registration_defaults_to_french_and_normalises_the_domain() -> None:
    request = author_email_request({"petition_id": "p", "author_key": KEY, "email": "Jo@Ex.FR"})
    assert (request.locale, request.email) == ("fr", "Jo@ex.fr")


@pytest.mark.parametrize(
    "change",
    [{"locale": "de"}, {"author_key": "x" * 201}, {"petition_id": ""}, {"email": None}, {"x": 1}],
)
def test_bad_registrations_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        author_email_request({"petition_id": "p", "author_key": KEY, "email": "a@b.fr", **change})


def test_submitted_events_carry_a_hash_or_none() -> None:
    digest = author_key_hash("p", KEY)
    assert submitted_author({"petition_id": "p", "author_key_hash": digest}) == ("p", digest)
    assert submitted_author({"petition_id": "p"}) == ("p", None)  # an older petitions service
    with pytest.raises(InvalidEvent):
        submitted_author({"petition_id": "p", "author_key_hash": "ABC"})
    with pytest.raises(InvalidEvent):
        submitted_author({"author_key_hash": digest})


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("reason", list(REJECTION_REASONS))
def test_every_rejection_reason_is_explained_in_both_languages(locale: str, reason: str) -> None:
    rendered = author_letters.rejected(locale, "T", reason, "https://u")
    explained = author_letters.REASONS[locale][reason]
    assert explained in rendered.paragraphs[2]
    assert explained != author_letters.REASONS[locale][""]


def test_an_unknown_reason_gets_a_generic_explanation_not_the_raw_code() -> None:
    rendered = author_letters.rejected("en", "T", "<script>", "https://u")
    assert "<script>" not in " ".join(rendered.paragraphs)
    assert author_letters.REASONS["en"][""] in rendered.paragraphs[2]


def test_numbers_are_grouped_as_each_language_writes_them() -> None:
    assert author_letters.number("fr", 100000) == "100\u202f000"
    assert author_letters.number("en", 100000) == "100,000"
    rendered = author_letters.threshold_reached("fr", "T", 100000, 100002, "https://u")
    assert (
        "100\u202f000 signatures" in rendered.subject and "100\u202f002" in rendered.paragraphs[1]
    )


def test_a_publication_without_a_deadline_says_nothing_of_one() -> None:
    dated = author_letters.published("fr", "T", "2026-09-01T10:00:00Z", "https://u")
    assert "jusqu'au 2026-09-01" in " ".join(dated.paragraphs)
    for deadline in (None, "soon"):
        undated = author_letters.published("fr", "T", deadline, "https://u")
        assert "jusqu" not in " ".join(undated.paragraphs)


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_notices_are_text_and_html_with_one_click_unsubscribe(locale: str) -> None:
    rendered = author_letters.published(locale, "Vélos", None, CONTEXT.unsubscribe_url("tok"))
    raw = mail_message.message(CONTEXT, "jo@example.fr", locale, rendered)
    parsed = email.message_from_string(raw, policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == "<https://hub.example.fr/unsubscribe/tok>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Content-Language"] == locale and raw.isascii()
    assert "Vélos" in parsed.get_body(("plain",)).get_content()
    assert "Vélos" in parsed.get_body(("html",)).get_content()


# The use cases, on SQLite


@pytest.fixture
def uow() -> Iterator[UnitOfWork]:
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    work = UnitOfWork(Session(engine), "notifications")
    yield work
    work.close()
    engine.dispose()


def _event(event_type: str, **payload: Any) -> Envelope:
    return Envelope(type=event_type, payload=payload, source="petitions")


def _submitted(uow: UnitOfWork) -> str:
    petition_id = str(uuid.uuid4())
    digest = author_key_hash(petition_id, KEY)
    submitted = _event("petition.submitted", petition_id=petition_id, author_key_hash=digest)
    authors.record_author_key(uow, bus.petition_submitted(submitted))
    return petition_id


def _register(uow: UnitOfWork, petition_id: str, address: str = "a@b.fr") -> bool:
    body = {"petition_id": petition_id, "author_key": KEY, "email": address, "locale": "en"}
    return authors.register_author_email(uow, author_email_request(body))


def _count(uow: UnitOfWork, table: sa.Table) -> int:
    return int(uow.execute(sa.select(sa.func.count()).select_from(table)).scalar())


def test_a_petition_unknown_here_cannot_be_registered_for(uow: UnitOfWork) -> None:
    with pytest.raises(AuthorKeyNotFound):
        _register(uow, "p-unknown")
    digest_free = _event("petition.submitted", petition_id="p-old")
    assert authors.record_author_key(uow, bus.petition_submitted(digest_free)) is False
    with pytest.raises(AuthorKeyNotFound):
        _register(uow, "p-old")


def test_registering_again_replaces_the_address(uow: UnitOfWork) -> None:
    petition_id = _submitted(uow)
    assert _register(uow, petition_id, "a@b.fr") is False
    assert _register(uow, petition_id, "c@d.fr") is True
    [row] = uow.execute(sa.select(author_subscribers)).all()
    assert row.email == "c@d.fr"


def test_a_rejection_queues_one_notice_once_and_forgets_the_address(uow: UnitOfWork) -> None:
    petition_id = _submitted(uow)
    _register(uow, petition_id)
    rejection = _event("petition.rejected", petition_id=petition_id, reason="duplicate")
    assert authors.notify(uow, bus.petition_rejected(rejection), LETTERS) == 1
    assert authors.notify(uow, bus.petition_rejected(rejection), LETTERS) == 0  # redelivered
    [mail] = uow.execute(sa.select(mail_outbox)).all()
    assert mail.kind == letters.REJECTED and "already asks" in mail.message
    assert _count(uow, author_subscribers) == 0
    with pytest.raises(Conflict):
        _register(uow, petition_id)


def test_an_end_seen_before_the_submission_still_wins(uow: UnitOfWork) -> None:
    """Events travel on separate queues: a hidden petition whose submission arrives late."""
    petition_id = str(uuid.uuid4())
    authors.petition_ended(
        uow, bus.petition_ended(_event("petition.hidden", petition_id=petition_id))
    )
    digest = author_key_hash(petition_id, KEY)
    submitted = _event("petition.submitted", petition_id=petition_id, author_key_hash=digest)
    authors.record_author_key(uow, bus.petition_submitted(submitted))
    with pytest.raises(Conflict):
        _register(uow, petition_id)


def test_notices_without_a_registered_author_queue_nothing(uow: UnitOfWork) -> None:
    petition_id = _submitted(uow)
    reached = _event(
        "petition.threshold_reached", petition_id=petition_id, threshold=10, signature_count=11
    )
    assert authors.notify(uow, bus.threshold_reached(reached), LETTERS) == 0
    _register(uow, petition_id)
    again = _event(
        "petition.threshold_reached", petition_id=petition_id, threshold=100, signature_count=100
    )
    assert authors.notify(uow, bus.threshold_reached(again), LETTERS) == 1
    assert _count(uow, author_subscribers) == 1  # kept for the next threshold
    with pytest.raises(InvalidEvent):
        bad = _event("petition.threshold_reached", petition_id=petition_id, threshold="x")
        bus.threshold_reached(bad)


def test_unsubscribing_forgets_the_address(uow: UnitOfWork) -> None:
    petition_id = _submitted(uow)
    _register(uow, petition_id)
    token = uow.execute(sa.select(author_subscribers.c.unsubscribe_token)).scalar()
    assert authors.unsubscribe(uow, token) is True
    assert authors.unsubscribe(uow, token) is False
    assert _count(uow, author_subscribers) == 0
