"""The petition rules, in plain Python: lifecycle, eligibility to sign, receipts.

No nameko, no SQLAlchemy, no HTTP here. Errors are domain errors (:class:`PetitionError` and
its kinds); the edge translates them to HTTP in one table (errors.py).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

ACR_LEVELS = ("eidas1", "eidas2", "eidas3")  # eIDAS low < substantial < high
DEFAULT_MIN_ACR = "eidas1"
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


class PetitionError(Exception):
    code = "petition_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(PetitionError):
    code = "not_found"


class Forbidden(PetitionError):
    code = "forbidden"


class InvalidTransition(PetitionError):
    code = "invalid_transition"


class NotEligible(PetitionError):
    """The citizen may not sign; ``code`` is the reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class NotOpen(PetitionError):
    code = "petition_not_open"


class Closed(PetitionError):
    code = "petition_closed"


class AlreadySigned(PetitionError):
    code = "already_signed"


class NotSigned(PetitionError):
    code = "not_signed"


class NotEnoughSponsors(PetitionError):
    code = "not_enough_sponsors"


class SponsoringClosed(PetitionError):
    code = "sponsoring_closed"


class AlreadySponsored(PetitionError):
    code = "already_sponsored"


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


@dataclass(frozen=True)
class Citizen:
    """What the petitions service knows of a citizen: from the access token, and no more."""

    sub: str
    acr: str
    adult: bool


def check_can_sign(petition: Petition, citizen: Citizen, now: datetime) -> None:
    """Raise why ``citizen`` may not sign ``petition`` now, if they may not."""
    if petition.status == Status.CLOSED or (
        petition.status == Status.OPEN and not petition.is_open_at(now)
    ):
        raise Closed("the petition is closed")
    if petition.status != Status.OPEN:
        raise NotOpen("the petition is not open for signatures")
    _check_eligible(petition, citizen)


def _check_eligible(petition: Petition, citizen: Citizen) -> None:
    if acr_rank(citizen.acr) < acr_rank(petition.min_acr):
        raise NotEligible(
            "acr_too_low", f"this petition requires an identity verified at {petition.min_acr}"
        )
    if not citizen.adult:
        raise NotEligible("not_adult", "only adults may sign petitions")


def check_can_sponsor(petition: Petition, citizen: Citizen, token: str) -> None:
    """Raise why ``citizen`` may not co-sponsor ``petition`` with the link ``token``."""
    if not petition.sponsor_link_is(token):
        raise NotFound("no such petition, or the sponsor link is wrong")
    if petition.status not in Status.BEFORE_MODERATION:
        raise SponsoringClosed("co-sponsors join a petition before its moderation only")
    if citizen.sub == petition.author_sub:
        raise NotEligible("author_cannot_sponsor", "the author cannot co-sponsor their petition")
    _check_eligible(petition, citizen)


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


def acr_rank(acr: str | None) -> int:
    """eIDAS level as a number; an unknown level ranks below every real one."""
    return ACR_LEVELS.index(acr) if acr in ACR_LEVELS else -1


def receipt_hash(petition_id: str, signature_id: str, signed_at: str) -> str:
    """Binds a signature's id and time to its petition; the citizen keeps it as a receipt."""
    return hashlib.sha256(f"{petition_id}\n{signature_id}\n{signed_at}".encode()).hexdigest()
