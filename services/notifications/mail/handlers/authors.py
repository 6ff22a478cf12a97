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

from services.notifications.mail.commands import (
    AuthorEmailRequest,
    EndPetition,
    NotifyAuthor,
    RecordAuthorKey,
)
from services.notifications.mail.domain.authors import holds_author_key
from services.notifications.mail.domain.errors import AuthorKeyNotFound, Conflict
from services.notifications.mail.domain.letters import Letter, WriteLetter
from services.notifications.mail.storage import authors as store
from services.notifications.mail.storage import citizens, outbox
from services.notifications.mail.storage.tables import author_subscribers, petition_authors
from shared.clock import utcnow
from shared.db import UnitOfWork
from shared.inbox import first_delivery

AUTHOR_MAIL = "notifications.author_mail"


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


def record_author_key(uow: UnitOfWork, command: RecordAuthorKey) -> bool:
    """Remember a new petition's author-key hash; False if there was nothing to remember."""
    petition_id, key_hash = command.petition_id, command.key_hash
    if key_hash is None or not first_delivery(uow, AUTHOR_MAIL, command.event_id):
        uow.rollback()
        return False
    row = {"petition_id": petition_id, "author_key_hash": key_hash, "recorded_at": utcnow()}
    if not uow.insert_unless_exists(petition_authors, row):
        store.set_key_hash(uow, petition_id, key_hash)
    uow.commit()
    return True


def notify(uow: UnitOfWork, command: NotifyAuthor, write: WriteLetter) -> int:
    """Queue the news for the petition's author, if they asked; how many mails were queued."""
    petition_id = command.petition_id
    if not first_delivery(uow, AUTHOR_MAIL, command.event_id):
        uow.rollback()
        return 0
    store.petition_for_update(uow, petition_id)  # NOTE: waits for a registration under way
    author = store.subscriber_for_update(uow, petition_id)
    if author is not None:
        title = command.title
        if title is None:
            title = citizens.petition_title(uow, petition_id)
        token = author.unsubscribe_token
        letter = Letter(author.email, author.locale, petition_id, title, token, command.news)
        row = outbox.outbox_row(letter.kind, author.email, write(letter), utcnow())
        outbox.enqueue(uow, [row])
    if command.ending:
        _end(uow, petition_id, command.ending)
    uow.commit()
    return int(author is not None)


def petition_ended(uow: UnitOfWork, command: EndPetition) -> None:
    """Closed, withdrawn or hidden: no notice, the address goes."""
    if not first_delivery(uow, AUTHOR_MAIL, command.event_id):
        uow.rollback()
        return
    _end(uow, command.petition_id, command.ended_as)
    uow.commit()


def _end(uow: UnitOfWork, petition_id: str, ended_as: str) -> None:
    now = utcnow()
    tombstone = {"petition_id": petition_id, "recorded_at": now}
    uow.insert_unless_exists(petition_authors, {**tombstone, "ended_as": ended_as, "ended_at": now})
    store.mark_ended(uow, petition_id, ended_as, now)
    store.forget_subscribers(uow, author_subscribers.c.petition_id == petition_id)
