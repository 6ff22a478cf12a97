"""A petition's lifecycle: drafted, submitted, published, closed (or rejected, hidden,
withdrawn), and the rules each deployment sets for it."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from services.petitions.domain.errors import Forbidden, InvalidTransition, NotEnoughSponsors

DEFAULT_DURATION = timedelta(days=182)  # about six months, as at the French Senate

# Reasons an operator may give when rejecting a petition (documented in the README).
REJECTION_REASONS = {
    "duplicate": "An open petition already asks for the same thing.",
    "not_actionable": "It does not ask for something the public authorities can do.",
    "unlawful": "It is unlawful, defamatory or incites hatred.",
    "personal_data": "It names or exposes private individuals.",
    "advertising": "It promotes a product, service or business.",
    "unclear": "It is too unclear to be acted upon.",
    "offensive": "It contains offensive or abusive language.",
}


@dataclass(frozen=True)
class PetitionRules:
    """What each deployment configures (settings)."""

    thresholds: tuple[int, ...] = (10_000, 100_000)
    duration: timedelta = DEFAULT_DURATION
    min_sponsors: int = 0
    retention: timedelta = timedelta(days=180)


class Status:
    DRAFT = "draft"  # being written by its author; co-sponsors may join by its link
    SUBMITTED = "submitted"  # awaiting moderation; co-sponsors may still join
    OPEN = "open"  # published, accepting signatures until the deadline
    REJECTED = "rejected"  # by an operator, with a reason
    CLOSED = "closed"  # at the deadline, or early by an operator
    WITHDRAWN = "withdrawn"  # by its author
    HIDDEN = "hidden"  # by an operator (e.g. after a complaint)

    PUBLIC = (OPEN, CLOSED)
    BEFORE_MODERATION = (DRAFT, SUBMITTED)
    ENDED = (CLOSED, WITHDRAWN, REJECTED, HIDDEN)  # retention runs from their closed_at
    ALL = (DRAFT, SUBMITTED, OPEN, REJECTED, CLOSED, WITHDRAWN, HIDDEN)


@dataclass(frozen=True)
class Petition:
    id: str
    title: str
    text: str
    status: str
    author_sub: str
    min_acr: str
    created_at: datetime
    published_at: datetime | None = None
    deadline: datetime | None = None
    rejection_reason: str | None = None
    closed_at: datetime | None = None
    # The secret of the co-sponsor link, shown to the author only.
    sponsor_token: str | None = None
    # Kept from a draft's creation to its submission only (petition.submitted carries it).
    author_key_hash: str | None = None

    @classmethod
    def create(
        cls,
        petition_id: str,
        author_sub: str,
        now: datetime,
        *,
        title: str,
        text: str,
        min_acr: str,
        sponsor_token: str,
        author_key: str,
        draft: bool = False,
        min_sponsors: int = 0,
    ) -> Petition:
        """A new petition, straight to moderation where no co-sponsor is required, or a draft
        whose author gathers co-sponsors by its link (``sponsor_token``).

        NOTE: ``author_key`` is shown once to the author and never stored: petition.submitted
        carries only its hash, which a draft keeps until it is submitted.
        """
        if not draft:
            check_enough_sponsors(0, min_sponsors)
        return cls(
            id=petition_id,
            title=title,
            text=text,
            status=Status.DRAFT if draft else Status.SUBMITTED,
            author_sub=author_sub,
            min_acr=min_acr,
            created_at=now,
            sponsor_token=sponsor_token,
            author_key_hash=author_key_hash(petition_id, author_key) if draft else None,
        )

    def edit(self, by_sub: str, changes: dict[str, str], sponsor_count: int) -> Petition:
        self._require_author(by_sub, "only its author can edit a petition")
        self._require(Status.DRAFT, "only a draft can be edited")
        # NOTE: co-sponsors vouched for this very text; changing it under them is refused.
        if sponsor_count:
            raise InvalidTransition("a draft cannot be edited once it has co-sponsors")
        return replace(
            self,
            title=changes.get("title", self.title),
            text=changes.get("text", self.text),
            min_acr=changes.get("min_acr", self.min_acr),
        )

    def submit(self, by_sub: str, sponsor_count: int, min_sponsors: int) -> Petition:
        self._require_author(by_sub, "only its author can submit a petition")
        self._require(Status.DRAFT, "only a draft can be submitted")
        check_enough_sponsors(sponsor_count, min_sponsors)
        return replace(self, status=Status.SUBMITTED, author_key_hash=None)

    def publish(self, now: datetime, duration: timedelta = DEFAULT_DURATION) -> Petition:
        self._require(Status.SUBMITTED, "only a submitted petition can be published")
        return replace(self, status=Status.OPEN, published_at=now, deadline=now + duration)

    def reject(self, reason: str, now: datetime | None = None) -> Petition:
        self._require(Status.SUBMITTED, "only a submitted petition can be rejected")
        if reason not in REJECTION_REASONS:
            raise InvalidTransition(f"unknown rejection reason {reason!r}")
        # closed_at: when it ended, so that retention also reaches its co-sponsors
        return replace(self, status=Status.REJECTED, rejection_reason=reason, closed_at=now)

    def close(self, now: datetime) -> Petition:
        self._require(Status.OPEN, "only an open petition can be closed")
        return replace(self, status=Status.CLOSED, closed_at=now)

    def hide(self, now: datetime | None = None) -> Petition:
        """Taken down by an operator. It ends now unless it had already ended (closed): its
        closed_at is when retention of its signers and co-sponsors starts counting."""
        if self.status in (Status.HIDDEN, Status.WITHDRAWN, Status.REJECTED):
            raise InvalidTransition(f"a {self.status} petition cannot be hidden")
        ended = self.closed_at or now or datetime.now(UTC)
        return replace(self, status=Status.HIDDEN, closed_at=ended)

    def withdraw(self, by_sub: str, now: datetime) -> Petition:
        self._require_author(by_sub, "only its author can withdraw a petition")
        if self.status not in (Status.DRAFT, Status.SUBMITTED, Status.OPEN):
            raise InvalidTransition(f"a {self.status} petition cannot be withdrawn")
        return replace(self, status=Status.WITHDRAWN, closed_at=now)

    def is_open_at(self, now: datetime) -> bool:
        return self.status == Status.OPEN and (self.deadline is None or now < self.deadline)

    def visible_to(
        self, viewer_sub: str | None, operator: bool, sponsor_token: str | None = None
    ) -> bool:
        """Public once published; before, to its author, operators and holders of its link."""
        if self.status in Status.PUBLIC or operator or viewer_sub == self.author_sub:
            return True
        return self.status in Status.BEFORE_MODERATION and self.sponsor_link_is(sponsor_token)

    def sponsor_link_is(self, token: str | None) -> bool:
        if not token or not self.sponsor_token:
            return False
        return hmac.compare_digest(token.encode(), self.sponsor_token.encode())

    def _require_author(self, by_sub: str, message: str) -> None:
        if by_sub != self.author_sub:
            raise Forbidden(message)

    def _require(self, status: str, message: str) -> None:
        if self.status != status:
            raise InvalidTransition(f"{message} (it is {self.status})")


def check_enough_sponsors(sponsor_count: int, min_sponsors: int) -> None:
    if sponsor_count < min_sponsors:
        raise NotEnoughSponsors(
            f"this petition needs {min_sponsors} co-sponsor(s) before submission; it has"
            f" {sponsor_count}: create it as a draft and share its sponsor link"
        )


def author_key_hash(petition_id: str, author_key: str) -> str:
    """What petition.submitted carries, so that the author (holding the key) can be recognised."""
    return hashlib.sha256(f"{petition_id}\n{author_key}".encode()).hexdigest()


def retention_cutoff(now: datetime, retention: timedelta) -> datetime:
    """Petitions that ended before this moment have their signers' subjects retired."""
    return now - max(retention, timedelta(0))


def thresholds_crossed(count: int, thresholds: tuple[int, ...]) -> list[int]:
    """The configured thresholds a count has reached (each is announced once, ever)."""
    return [t for t in thresholds if count >= t]
