"""Use cases of citizen e-mail: a signer asks for a confirmation (and, if they wish, the outcome),
unsubscribes in one click; the petitions service's events feed receipts and outcomes.

Privacy: an address arrives only with the citizen's request (their consent), is kept only if
they asked for the outcome, and is deleted once the outcome is sent, when they unsubscribe, when
the signature is withdrawn, or when the petition is withdrawn. Mails themselves leave the
outbox table once sent.
"""

from __future__ import annotations

import secrets
from typing import Any

from services.notifications.mail.domain.receipts import (
    Receipt,
    SignatureEmailRequest,
    recorded_receipt,
    same_receipt,
)
from services.notifications.mail.schemas import message as render
from services.notifications.mail.schemas.message import MailContext
from services.notifications.mail.storage import citizens as store
from services.notifications.storage.tables import (
    outcome_subscribers,
    petition_outcomes,
    signature_receipts,
)
from services.notifications.web.errors import Conflict, InvalidEvent, ReceiptNotFound
from shared.db import UnitOfWork
from shared.envelope import Envelope, utcnow
from shared.inbox import first_delivery

CITIZEN_MAIL = "notifications.citizen_mail"
MAX_RECEIPTS_PER_EVENT = 1000  # petitions writes at most 200 signatures per batch


def request_signature_email(
    uow: UnitOfWork, request: SignatureEmailRequest, context: MailContext
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
    unsubscribe_url = _subscribe(uow, request, now, context) if keep else None
    title = render.petition_title(
        request.locale, store.petition_title(uow, receipt.petition_id), receipt.petition_id
    )
    rendered = render.confirmation(request.locale, title, receipt, unsubscribe_url)
    message = render.message(context, request.email, request.locale, rendered)
    store.enqueue(uow, [store.outbox_row(render.CONFIRMATION, request.email, message, now)])
    uow.commit()
    return keep


def _subscribe(uow: UnitOfWork, request: SignatureEmailRequest, now: Any, ctx: MailContext) -> str:
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
    return ctx.unsubscribe_url(token)


def unsubscribe(uow: UnitOfWork, token: str) -> bool:
    """RFC 8058 one-click: forget the address behind the token; False if nothing was left."""
    gone = store.forget_subscribers(uow, outcome_subscribers.c.unsubscribe_token == token)
    uow.commit()
    return gone > 0


# Events from the petitions service


def record_receipt(uow: UnitOfWork, envelope: Envelope) -> bool:
    """Remember a signature's receipt (a withdrawal seen first leaves a tombstone that wins)."""
    receipt = recorded_receipt(envelope.payload)
    if not first_delivery(uow, CITIZEN_MAIL, envelope.id):
        uow.rollback()
        return False
    inserted = uow.insert_unless_exists(signature_receipts, _receipt_row(receipt))
    uow.commit()
    return inserted


def record_receipts(uow: UnitOfWork, envelope: Envelope) -> int:
    """Remember the receipts of a batch of signatures (``petition.signatures_recorded``) in one
    statement; a receipt already there, or a withdrawal's tombstone, wins."""
    raw = envelope.payload.get("receipts")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_RECEIPTS_PER_EVENT:
        raise InvalidEvent(f"receipts must be a list of 1 to {MAX_RECEIPTS_PER_EVENT} receipts")
    receipts = [recorded_receipt(r) for r in raw]
    if not first_delivery(uow, CITIZEN_MAIL, envelope.id):
        uow.rollback()
        return 0
    inserted = store.add_receipts(uow, [_receipt_row(r) for r in receipts])
    uow.commit()
    return inserted


def _receipt_row(receipt: Receipt) -> dict[str, Any]:
    return {
        "signature_id": receipt.signature_id,
        "petition_id": receipt.petition_id,
        "signed_at": receipt.signed_at,
        "hash": receipt.hash,
        "recorded_at": utcnow(),
    }


def forget_signature(uow: UnitOfWork, envelope: Envelope) -> None:
    """A withdrawn signature: its receipt no longer proves anything; its address goes."""
    signature_id, petition_id = _ids(envelope, "signature_id", "petition_id")
    if not first_delivery(uow, CITIZEN_MAIL, envelope.id):
        uow.rollback()
        return
    now = utcnow()
    tombstone = {"signature_id": signature_id, "petition_id": petition_id, "recorded_at": now}
    uow.insert_unless_exists(signature_receipts, {**tombstone, "withdrawn_at": now})
    store.mark_withdrawn(uow, signature_id, now)
    store.forget_subscribers(uow, outcome_subscribers.c.signature_id == signature_id)
    uow.commit()


def petition_closed(uow: UnitOfWork, envelope: Envelope, context: MailContext) -> int:
    """Tell every signer who asked, then forget their addresses; how many mails were queued."""
    (petition_id,) = _ids(envelope, "petition_id")
    raw_count = envelope.payload.get("signature_count")
    count = raw_count if isinstance(raw_count, int) and not isinstance(raw_count, bool) else None
    if not first_delivery(uow, CITIZEN_MAIL, envelope.id):
        uow.rollback()
        return 0
    _record_outcome(uow, petition_id, "closed", count)
    title = store.petition_title(uow, petition_id)
    now = utcnow()
    rows = []
    for sub in store.subscribers_of(uow, petition_id):
        shown = render.petition_title(sub.locale, title, petition_id)
        url = context.unsubscribe_url(sub.unsubscribe_token)
        rendered = render.outcome(sub.locale, shown, count, url)
        message = render.message(context, sub.email, sub.locale, rendered)
        rows.append(store.outbox_row(render.OUTCOME, sub.email, message, now))
    store.enqueue(uow, rows)
    store.forget_subscribers(uow, outcome_subscribers.c.petition_id == petition_id)
    uow.commit()
    return len(rows)


def petition_withdrawn(uow: UnitOfWork, envelope: Envelope) -> None:
    """No outcome will come: the addresses waiting for it go."""
    (petition_id,) = _ids(envelope, "petition_id")
    if not first_delivery(uow, CITIZEN_MAIL, envelope.id):
        uow.rollback()
        return
    _record_outcome(uow, petition_id, "withdrawn", None)
    store.forget_subscribers(uow, outcome_subscribers.c.petition_id == petition_id)
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


def _ids(envelope: Envelope, *names: str) -> tuple[str, ...]:
    values = tuple(envelope.payload.get(name) for name in names)
    if not all(isinstance(v, str) and 0 < len(v) <= 100 for v in values):
        raise InvalidEvent(f"{envelope.type} payload needs {', '.join(names)}")
    return values  # type: ignore[return-value]
