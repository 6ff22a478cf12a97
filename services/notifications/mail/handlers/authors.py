"""Use cases of petition authors' e-mail: an author registers an address with the author key the
petitions service gave them; the petitions service's events bring the key's hash and the
moments worth a notice (published, rejected, threshold reached).

Privacy: an address arrives only with the author's request (their consent), one per petition,
and is deleted when the petition is rejected (after the notice saying so), closed, withdrawn or
hidden, or when the author unsubscribes. Mails leave the outbox table once sent.

NOTE: registering again with the key replaces the address and locale (and the unsubscribe
link): only the author holds the key, and this is how they correct a mistyped address or come
back after unsubscribing. The replaced address is deleted at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from services.notifications.mail.domain.authors import (
    AuthorEmailRequest,
    holds_author_key,
    submitted_author,
    whole_number,
)
from services.notifications.mail.schemas import author_letters as author_render
from services.notifications.mail.schemas import message as mail_render
from services.notifications.mail.schemas.message import MailContext, Rendered
from services.notifications.mail.storage import authors as store
from services.notifications.mail.storage import citizens as mail_store
from services.notifications.storage.tables import author_subscribers, petition_authors
from services.notifications.web.errors import AuthorKeyNotFound, Conflict, InvalidEvent
from shared.db import UnitOfWork
from shared.envelope import Envelope, utcnow
from shared.inbox import first_delivery

AUTHOR_MAIL = "notifications.author_mail"
# (locale, title shown, unsubscribe URL) -> the notice
Notice = Callable[[str, str, str], Rendered]


def register_author_email(uow: UnitOfWork, request: AuthorEmailRequest) -> bool:
    """Keep the author's address for their petition's notices; whether one was replaced."""
    petition = store.petition_for_update(uow, request.petition_id)
    recorded_hash = petition.author_key_hash if petition is not None else None
    if not holds_author_key(recorded_hash, request.petition_id, request.author_key):
        raise AuthorKeyNotFound("no such petition or key (yet: petitions arrive within seconds)")
    if petition.ended_as is not None:
        ended = f"this petition is {petition.ended_as}: no notice will come"
        raise Conflict(ended, "petition_ended")
    where = author_subscribers.c.petition_id == request.petition_id
    replaced = store.forget_subscribers(uow, where) > 0
    uow.execute(
        author_subscribers.insert().values(
            petition_id=request.petition_id,
            email=request.email,
            locale=request.locale,
            unsubscribe_token=secrets.token_urlsafe(32),
            consented_at=utcnow(),
        )
    )
    uow.commit()
    return replaced


def unsubscribe(uow: UnitOfWork, token: str) -> bool:
    """RFC 8058 one-click: forget the address behind the token; False if nothing was left."""
    gone = store.forget_subscribers(uow, author_subscribers.c.unsubscribe_token == token)
    uow.commit()
    return gone > 0


# Events from the petitions service


def record_author_key(uow: UnitOfWork, envelope: Envelope) -> bool:
    """Remember a new petition's author-key hash; False if there was nothing to remember."""
    petition_id, key_hash = submitted_author(envelope.payload)
    if key_hash is None or not first_delivery(uow, AUTHOR_MAIL, envelope.id):
        uow.rollback()
        return False
    row = {"petition_id": petition_id, "author_key_hash": key_hash, "recorded_at": utcnow()}
    if not uow.insert_unless_exists(petition_authors, row):
        store.set_key_hash(uow, petition_id, key_hash)
    uow.commit()
    return True


def published(uow: UnitOfWork, envelope: Envelope, context: MailContext) -> int:
    title = envelope.payload.get("title")
    deadline = envelope.payload.get("deadline")

    def notice(locale: str, shown: str, url: str) -> Rendered:
        return author_render.published(locale, shown, deadline, url)

    return _notify(uow, envelope, context, author_render.PUBLISHED, notice, title)


def threshold_reached(uow: UnitOfWork, envelope: Envelope, context: MailContext) -> int:
    threshold = whole_number(envelope.payload.get("threshold"))
    count = whole_number(envelope.payload.get("signature_count"))
    if threshold is None or count is None:
        raise InvalidEvent("petition.threshold_reached payload needs threshold, signature_count")

    def notice(locale: str, shown: str, url: str) -> Rendered:
        return author_render.threshold_reached(locale, shown, threshold, count, url)

    return _notify(uow, envelope, context, author_render.THRESHOLD, notice)


def rejected(uow: UnitOfWork, envelope: Envelope, context: MailContext) -> int:
    """The notice with the reason explained, then the address goes."""
    reason = envelope.payload.get("reason")
    reason = reason if isinstance(reason, str) else ""

    def notice(locale: str, shown: str, url: str) -> Rendered:
        return author_render.rejected(locale, shown, reason, url)

    return _notify(uow, envelope, context, author_render.REJECTED, notice, ending="rejected")


def petition_ended(uow: UnitOfWork, envelope: Envelope) -> None:
    """Closed, withdrawn or hidden: no notice, the address goes."""
    petition_id = _petition_id(envelope)
    if not first_delivery(uow, AUTHOR_MAIL, envelope.id):
        uow.rollback()
        return
    _end(uow, petition_id, envelope.type.removeprefix("petition."))
    uow.commit()


def _notify(
    uow: UnitOfWork,
    envelope: Envelope,
    context: MailContext,
    kind: str,
    notice: Notice,
    title: Any = None,
    ending: str | None = None,
) -> int:
    """Queue the notice for the petition's author, if they asked; how many mails were queued."""
    petition_id = _petition_id(envelope)
    if not first_delivery(uow, AUTHOR_MAIL, envelope.id):
        uow.rollback()
        return 0
    store.petition_for_update(uow, petition_id)  # NOTE: waits for a registration under way
    author = store.subscriber_for_update(uow, petition_id)
    if author is not None:
        known = title if isinstance(title, str) else mail_store.petition_title(uow, petition_id)
        shown = mail_render.petition_title(author.locale, known, petition_id)
        rendered = notice(author.locale, shown, context.unsubscribe_url(author.unsubscribe_token))
        message = mail_render.message(context, author.email, author.locale, rendered)
        mail_store.enqueue(uow, [mail_store.outbox_row(kind, author.email, message, utcnow())])
    if ending:
        _end(uow, petition_id, ending)
    uow.commit()
    return int(author is not None)


def _end(uow: UnitOfWork, petition_id: str, ended_as: str) -> None:
    now = utcnow()
    tombstone = {"petition_id": petition_id, "recorded_at": now}
    uow.insert_unless_exists(petition_authors, {**tombstone, "ended_as": ended_as, "ended_at": now})
    store.mark_ended(uow, petition_id, ended_as, now)
    store.forget_subscribers(uow, author_subscribers.c.petition_id == petition_id)


def _petition_id(envelope: Envelope) -> str:
    petition_id = envelope.payload.get("petition_id")
    if not isinstance(petition_id, str) or not 0 < len(petition_id) <= 100:
        raise InvalidEvent(f"{envelope.type} payload needs petition_id")
    return petition_id
