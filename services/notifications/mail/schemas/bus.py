"""The petitions events that concern citizens' and authors' e-mail, parsed into commands.

A payload that is not what the petitions service publishes raises :class:`InvalidEvent` (the
event is dead-lettered for an operator), before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from services.notifications.mail.commands import (
    AnnounceOutcome,
    CancelOutcome,
    EndPetition,
    ForgetSignature,
    NotifyAuthor,
    RecordAuthorKey,
    RecordReceipts,
)
from services.notifications.mail.domain.authors import MAX_PETITION_ID_LENGTH
from services.notifications.mail.domain.errors import InvalidEvent
from services.notifications.mail.domain.letters import Published, Rejected, ThresholdReached
from services.notifications.mail.domain.receipts import Receipt, parse_receipt, receipt_hash
from services.notifications.mail.schemas.requests import short_string
from shared.envelope import Envelope

MAX_RECEIPTS_PER_EVENT = 1000  # petitions writes at most 200 signatures per batch
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def received(routing_key: str, body: Any) -> Envelope:
    """The event's envelope; it must have come by its own type's routing key."""
    envelope = Envelope.from_dict(body)
    if envelope.type != routing_key:
        raise InvalidEvent(f"an event of type {envelope.type!r} arrived as {routing_key!r}")
    return envelope


# Citizens


def receipt_recorded(envelope: Envelope) -> RecordReceipts:
    """``petition.signature_recorded``: one receipt (petitions' events before batching)."""
    return RecordReceipts(envelope.id, (recorded_receipt(envelope.payload),))


def receipts_recorded(envelope: Envelope) -> RecordReceipts:
    """``petition.signatures_recorded``: the receipts of a batch of signatures."""
    raw = envelope.payload.get("receipts")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_RECEIPTS_PER_EVENT:
        raise InvalidEvent(f"receipts must be a list of 1 to {MAX_RECEIPTS_PER_EVENT} receipts")
    return RecordReceipts(envelope.id, tuple(recorded_receipt(r) for r in raw))


def recorded_receipt(payload: Mapping[str, Any]) -> Receipt:
    """A receipt the petitions service announced, checked against its own hash."""
    receipt = parse_receipt(dict(payload), InvalidEvent)
    if receipt.hash != receipt_hash(receipt.petition_id, receipt.signature_id, receipt.signed_at):
        raise InvalidEvent("the receipt's hash does not match its fields")
    return receipt


def signature_withdrawn(envelope: Envelope) -> ForgetSignature:
    signature_id, petition_id = _ids(envelope, "signature_id", "petition_id")
    return ForgetSignature(envelope.id, signature_id, petition_id)


def petition_closed(envelope: Envelope) -> AnnounceOutcome:
    (petition_id,) = _ids(envelope, "petition_id")
    raw_count = envelope.payload.get("signature_count")
    count = raw_count if isinstance(raw_count, int) and not isinstance(raw_count, bool) else None
    return AnnounceOutcome(envelope.id, petition_id, count)


def petition_withdrawn(envelope: Envelope) -> CancelOutcome:
    (petition_id,) = _ids(envelope, "petition_id")
    return CancelOutcome(envelope.id, petition_id)


# Authors


def petition_submitted(envelope: Envelope) -> RecordAuthorKey:
    petition_id, key_hash = submitted_author(envelope.payload)
    return RecordAuthorKey(envelope.id, petition_id, key_hash)


def submitted_author(payload: Mapping[str, Any]) -> tuple[str, str | None]:
    """A ``petition.submitted`` payload: the petition's id and its author-key hash.

    NOTE: a payload without ``author_key_hash`` (a petitions service older than author e-mail)
    is not an error: that petition's author simply cannot register an address.
    """
    petition_id = payload.get("petition_id")
    if not short_string(petition_id, MAX_PETITION_ID_LENGTH):
        raise InvalidEvent("petition.submitted payload needs petition_id")
    key_hash = payload.get("author_key_hash")
    if key_hash is not None and not (isinstance(key_hash, str) and _HEX64.match(key_hash)):
        raise InvalidEvent("petition.submitted author_key_hash must be 64 hexadecimal digits")
    return petition_id, key_hash


def petition_published(envelope: Envelope) -> NotifyAuthor:
    title, deadline = envelope.payload.get("title"), envelope.payload.get("deadline")
    (petition_id,) = _ids(envelope, "petition_id")
    news = Published(deadline if isinstance(deadline, str) else None)
    return NotifyAuthor(envelope.id, petition_id, news, title if isinstance(title, str) else None)


def petition_rejected(envelope: Envelope) -> NotifyAuthor:
    """The notice explains the reason; then the address goes."""
    reason = envelope.payload.get("reason")
    (petition_id,) = _ids(envelope, "petition_id")
    news = Rejected(reason if isinstance(reason, str) else "")
    return NotifyAuthor(envelope.id, petition_id, news, ending="rejected")


def threshold_reached(envelope: Envelope) -> NotifyAuthor:
    threshold = whole_number(envelope.payload.get("threshold"))
    count = whole_number(envelope.payload.get("signature_count"))
    if threshold is None or count is None:
        raise InvalidEvent("petition.threshold_reached payload needs threshold, signature_count")
    (petition_id,) = _ids(envelope, "petition_id")
    return NotifyAuthor(envelope.id, petition_id, ThresholdReached(threshold, count))


def petition_ended(envelope: Envelope) -> EndPetition:
    """``petition.closed``, ``.withdrawn`` or ``.hidden``, as the author's notices see it."""
    (petition_id,) = _ids(envelope, "petition_id")
    return EndPetition(envelope.id, petition_id, envelope.type.removeprefix("petition."))


def whole_number(raw: Any) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else None


def _ids(envelope: Envelope, *names: str) -> tuple[str, ...]:
    values = tuple(envelope.payload.get(name) for name in names)
    if not all(isinstance(v, str) and 0 < len(v) <= 100 for v in values):
        raise InvalidEvent(f"{envelope.type} payload needs {', '.join(names)}")
    return values  # type: ignore[return-value]
