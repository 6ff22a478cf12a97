"""The mails the hub writes, as what they say: a :class:`Letter` to one person about one
petition. Handlers queue them through a :data:`WriteLetter` (the view that renders them is
services.notifications.mail.schemas.letters); the mail loop sends them on a schedule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from services.notifications.mail.domain.receipts import Receipt

# A temporary failure (the server unreachable, a 4xx answer) is retried after these delays; a
# permanent one (5xx), or the end of the schedule, drops the mail and with it the address.
RETRY_DELAYS_SECONDS = (5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)

# The kinds of mail (kept with each queued mail, and in its log lines).
CONFIRMATION, OUTCOME = "signature_confirmation", "petition_outcome"
PUBLISHED, REJECTED, THRESHOLD = "author_published", "author_rejected", "author_threshold"


@dataclass(frozen=True)
class Confirmation:
    """To a signer: their signature is recorded; their receipt."""

    KIND: ClassVar[str] = CONFIRMATION
    receipt: Receipt


@dataclass(frozen=True)
class Outcome:
    """To a signer who asked: the petition closed, with its count (None if not known)."""

    KIND: ClassVar[str] = OUTCOME
    signature_count: int | None


@dataclass(frozen=True)
class Published:
    """To the author: the petition is open for signatures (until its deadline, if it has one)."""

    KIND: ClassVar[str] = PUBLISHED
    deadline: str | None


@dataclass(frozen=True)
class Rejected:
    """To the author: moderation did not publish it, and why (a petitions rejection code)."""

    KIND: ClassVar[str] = REJECTED
    reason: str


@dataclass(frozen=True)
class ThresholdReached:
    """To the author: the petition reached one of its thresholds."""

    KIND: ClassVar[str] = THRESHOLD
    threshold: int
    signature_count: int


News = Published | Rejected | ThresholdReached  # what an author hears about


@dataclass(frozen=True)
class Letter:
    recipient: str
    locale: str
    petition_id: str
    title: str | None  # as published; None if not known here
    unsubscribe_token: str | None  # None: the address was not kept, there is nothing to leave
    about: Confirmation | Outcome | News

    @property
    def kind(self) -> str:
        return self.about.KIND


WriteLetter = Callable[[Letter], str]  # a letter -> the RFC 5322 message to queue
