"""What citizens' and authors' e-mail is asked to do: plain frozen dataclasses, parsed from HTTP
bodies and petitions events by :mod:`.schemas`. Those from events carry the event's id, which
the inbox keeps so each is applied once."""

from __future__ import annotations

from dataclasses import dataclass

from services.notifications.mail.domain.letters import News
from services.notifications.mail.domain.receipts import Receipt

# From citizens and authors (HTTP)


@dataclass(frozen=True)
class SignatureEmailRequest:
    receipt: Receipt
    email: str
    locale: str
    notify_outcome: bool


@dataclass(frozen=True)
class AuthorEmailRequest:
    petition_id: str
    author_key: str
    email: str
    locale: str


# From the petitions service's events


@dataclass(frozen=True)
class RecordReceipts:
    """Signatures recorded: remember their receipts."""

    event_id: str
    receipts: tuple[Receipt, ...]


@dataclass(frozen=True)
class ForgetSignature:
    """A signature withdrawn: its receipt proves nothing any more, its address goes."""

    event_id: str
    signature_id: str
    petition_id: str


@dataclass(frozen=True)
class AnnounceOutcome:
    """A petition closed: tell the signers who asked, then forget their addresses."""

    event_id: str
    petition_id: str
    signature_count: int | None


@dataclass(frozen=True)
class CancelOutcome:
    """A petition withdrawn: no outcome will come, the addresses waiting for it go."""

    event_id: str
    petition_id: str


@dataclass(frozen=True)
class RecordAuthorKey:
    """A petition submitted: remember its author-key hash (None: an older petitions service)."""

    event_id: str
    petition_id: str
    key_hash: str | None


@dataclass(frozen=True)
class NotifyAuthor:
    """News for a petition's author; ``ending`` set if the petition ends with it (rejected)."""

    event_id: str
    petition_id: str
    news: News
    title: str | None = None  # the title the event carries, if it does
    ending: str | None = None


@dataclass(frozen=True)
class EndPetition:
    """A petition closed, withdrawn or hidden: no notice, the author's address goes."""

    event_id: str
    petition_id: str
    ended_as: str
