"""Use cases of citizen e-mail: a signer asks for a confirmation (and, if they wish, the outcome),
unsubscribes in one click; the petitions service's events feed receipts and outcomes.

Privacy: an address arrives only with the citizen's request (their consent), is kept only if
they asked for the outcome, and is deleted once the outcome is sent, when they unsubscribe, when
the signature is withdrawn, or when the petition is withdrawn. Mails themselves leave the
outbox table once sent.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from services.notifications.mail.commands import (
    AnnounceOutcome,
    CancelOutcome,
    ForgetSignature,
    RecordReceipts,
    SignatureEmailRequest,
)
from services.notifications.mail.domain.errors import Conflict, ReceiptNotFound
from services.notifications.mail.domain.letters import Confirmation, Letter, Outcome, WriteLetter
from services.notifications.mail.domain.receipts import same_receipt
from services.notifications.mail.storage import citizens as store
from services.notifications.mail.storage import outbox
from services.notifications.mail.storage.tables import (
    outcome_subscribers,
    petition_outcomes,
    signature_receipts,
)
from shared.clock import utcnow
from shared.db import UnitOfWork
from shared.inbox import first_delivery

CITIZEN_MAIL = "notifications.citizen_mail"


def request_signature_email(
    uow: UnitOfWork, request: SignatureEmailRequest, write: WriteLetter
) -> bool:
    """Queue the confirmation; keep the address if the outcome was asked for (and can still
    come). Returns whether the address was kept."""
    receipt = request.receipt
    recorded = store.receipt_for_update(uow, receipt.signature_id)
    if recorded is None or recorded.withdrawn_at or not same_receipt(recorded, receipt):
        raise ReceiptNotFound("no such signature (yet: receipts arrive within seconds)")
    if recorded.email_requested_at is not None:
        raise Conflict("this receipt was already used to ask for an e-mail", "receipt_used")
    now = utcnow()
    store.mark_email_requested(uow, receipt.signature_id, now)
    keep = request.notify_outcome and store.petition_outcome(uow, receipt.petition_id) is None
    token = _subscribe(uow, request, now) if keep else None
    title = store.petition_title(uow, receipt.petition_id)
    letter = Letter(
        request.email, request.locale, receipt.petition_id, title, token, Confirmation(receipt)
    )
    outbox.enqueue(uow, [outbox.outbox_row(letter.kind, request.email, write(letter), now)])
    uow.commit()
    return keep


def _subscribe(uow: UnitOfWork, request: SignatureEmailRequest, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    uow.insert_unless_exists(
        outcome_subscribers,
        {
            "signature_id": request.receipt.signature_id,
            "petition_id": request.receipt.petition_id,
            "email": request.email,
            "locale": request.locale,
            "unsubscribe_token": token,
            "consented_at": now,
        },
    )
    return token


def unsubscribe(uow: UnitOfWork, token: str) -> bool:
    """RFC 8058 one-click: forget the address behind the token; False if nothing was left."""
    gone = store.forget_subscribers(uow, outcome_subscribers.c.unsubscribe_token == token)
    uow.commit()
    return gone > 0


# Events from the petitions service


def record_receipts(uow: UnitOfWork, command: RecordReceipts) -> int:
    """Remember signatures' receipts in one statement; a receipt already there, or a
    withdrawal's tombstone (a withdrawal seen first), wins. How many were new."""
    if not first_delivery(uow, CITIZEN_MAIL, command.event_id):
        uow.rollback()
        return 0
    now = utcnow()
    rows = [
        {
            "signature_id": receipt.signature_id,
            "petition_id": receipt.petition_id,
            "signed_at": receipt.signed_at,
            "hash": receipt.hash,
            "recorded_at": now,
        }
        for receipt in command.receipts
    ]
    inserted = store.add_receipts(uow, rows)
    uow.commit()
    return inserted


def forget_signature(uow: UnitOfWork, command: ForgetSignature) -> None:
    """A withdrawn signature: its receipt no longer proves anything; its address goes."""
    if not first_delivery(uow, CITIZEN_MAIL, command.event_id):
        uow.rollback()
        return
    now = utcnow()
    signature_id = command.signature_id
    tombstone = {"signature_id": signature_id, "petition_id": command.petition_id}
    uow.insert_unless_exists(
        signature_receipts, {**tombstone, "recorded_at": now, "withdrawn_at": now}
    )
    store.mark_withdrawn(uow, signature_id, now)
    store.forget_subscribers(uow, outcome_subscribers.c.signature_id == signature_id)
    uow.commit()


def petition_closed(uow: UnitOfWork, command: AnnounceOutcome, write: WriteLetter) -> int:
    """Tell every signer who asked, then forget their addresses; how many mails were queued."""
    petition_id, count = command.petition_id, command.signature_count
    if not first_delivery(uow, CITIZEN_MAIL, command.event_id):
        uow.rollback()
        return 0
    _record_outcome(uow, petition_id, "closed", count)
    title = store.petition_title(uow, petition_id)
    now = utcnow()
    rows = []
    for sub in store.subscribers_of(uow, petition_id):
        token = sub.unsubscribe_token
        letter = Letter(sub.email, sub.locale, petition_id, title, token, Outcome(count))
        rows.append(outbox.outbox_row(letter.kind, sub.email, write(letter), now))
    outbox.enqueue(uow, rows)
    store.forget_subscribers(uow, outcome_subscribers.c.petition_id == petition_id)
    uow.commit()
    return len(rows)


def petition_withdrawn(uow: UnitOfWork, command: CancelOutcome) -> None:
    """No outcome will come: the addresses waiting for it go."""
    if not first_delivery(uow, CITIZEN_MAIL, command.event_id):
        uow.rollback()
        return
    _record_outcome(uow, command.petition_id, "withdrawn", None)
    where = outcome_subscribers.c.petition_id == command.petition_id
    store.forget_subscribers(uow, where)
    uow.commit()


def _record_outcome(uow: UnitOfWork, petition_id: str, outcome: str, count: int | None) -> None:
    uow.insert_unless_exists(
        petition_outcomes,
        {
            "petition_id": petition_id,
            "outcome": outcome,
            "signature_count": count,
            "recorded_at": utcnow(),
        },
    )
