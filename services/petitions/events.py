"""What the petitions service tells the others: one class per event, ``TYPE`` its routing key.

``payload()`` is the event's payload on the wire, as the contract describes it; times are
RFC 3339 strings (or null).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.petitions.domain import Petition, Receipt
from shared.clock import isoformat
from shared.events import Event


def _iso(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment else None


@dataclass(frozen=True)
class PetitionSubmitted(Event):
    """To moderation. ``author_key_hash`` lets notifications recognise the author (drafts)."""

    TYPE = "petition.submitted"
    petition_id: str
    sponsor_count: int = 0
    author_key_hash: str | None = None

    def payload(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "petition_id": self.petition_id,
            "sponsor_count": self.sponsor_count,
        }
        if self.author_key_hash:
            found["author_key_hash"] = self.author_key_hash
        return found


@dataclass(frozen=True)
class PetitionPublished(Event):
    TYPE = "petition.published"
    petition_id: str
    title: str
    published_at: str | None
    deadline: str | None

    @classmethod
    def of(cls, petition: Petition) -> PetitionPublished:
        return cls(
            petition.id, petition.title, _iso(petition.published_at), _iso(petition.deadline)
        )


@dataclass(frozen=True)
class PetitionRejected(Event):
    TYPE = "petition.rejected"
    petition_id: str
    reason: str | None


@dataclass(frozen=True)
class PetitionClosed(Event):
    """At its deadline, or early by an operator; with its final count."""

    TYPE = "petition.closed"
    petition_id: str
    signature_count: int
    closed_at: str | None

    @classmethod
    def of(cls, petition: Petition, signature_count: int) -> PetitionClosed:
        return cls(petition.id, signature_count, _iso(petition.closed_at))


@dataclass(frozen=True)
class PetitionHidden(Event):
    TYPE = "petition.hidden"
    petition_id: str


@dataclass(frozen=True)
class PetitionWithdrawn(Event):
    TYPE = "petition.withdrawn"
    petition_id: str


@dataclass(frozen=True)
class SignaturesRecorded(Event):
    """Internal (never forwarded to agencies): the receipts of one batch of signatures and no
    citizen's identity, so that notifications can confirm a signature to whoever holds its
    receipt."""

    TYPE = "petition.signatures_recorded"
    receipts: tuple[Receipt, ...]

    def payload(self) -> dict[str, Any]:
        # NOTE: one receipt per signature of the batch, on the hot path: built directly.
        return {"receipts": [receipt.as_dict() for receipt in self.receipts]}


@dataclass(frozen=True)
class SignatureWithdrawn(Event):
    TYPE = "petition.signature_withdrawn"
    petition_id: str
    signature_id: str


@dataclass(frozen=True)
class SignatureCountChanged(Event):
    """At most about once a second per petition, whatever the rate of signatures."""

    TYPE = "petition.signature_count_changed"
    petition_id: str
    signature_count: int
    counted_at: str


@dataclass(frozen=True)
class ThresholdReached(Event):
    """The first time a petition's count reaches one of the configured thresholds."""

    TYPE = "petition.threshold_reached"
    petition_id: str
    threshold: int
    signature_count: int


@dataclass(frozen=True)
class LogLeavesRecorded(Event):
    """Internal, to the transparency service only (never forwarded to agencies): the leaves one
    transaction adds to the public log, in the order things happened (TLOG_SPEC §2). No subject
    and no signer: a sign leaf carries the per-petition nullifier and the commitment only."""

    TYPE = "petition.log_leaves_recorded"
    leaves: tuple[dict[str, Any], ...]

    def payload(self) -> dict[str, Any]:
        return {"leaves": list(self.leaves)}
