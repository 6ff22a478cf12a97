"""Who may sign or co-sponsor a petition, and the receipt a signature gives its citizen."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from services.petitions.domain.errors import (
    Closed,
    NotEligible,
    NotFound,
    NotOpen,
    SponsoringClosed,
)
from services.petitions.domain.petition import Petition, Status

ACR_LEVELS = ("eidas1", "eidas2", "eidas3")  # eIDAS low < substantial < high
DEFAULT_MIN_ACR = "eidas1"


@dataclass(frozen=True)
class Citizen:
    """What the petitions service knows of a citizen: from the access token, and no more."""

    sub: str
    acr: str
    adult: bool
    # identity's `signer` claim: the same person's, whatever their subject (after an erasure, or
    # a new petitions URL); only its per-petition nullifier is kept. None: an older token.
    signer: str | None = None


def check_can_sign(petition: Petition, citizen: Citizen, now: datetime) -> None:
    """Raise why ``citizen`` may not sign ``petition`` now, if they may not."""
    if petition.status == Status.CLOSED or (
        petition.status == Status.OPEN and not petition.is_open_at(now)
    ):
        raise Closed("the petition is closed")
    if petition.status != Status.OPEN:
        raise NotOpen("the petition is not open for signatures")
    _check_eligible(petition, citizen)
    if not citizen.signer:
        raise NotEligible(
            "sign_in_again", "your sign-in predates signing with receipts: please sign in again"
        )


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


def acr_rank(acr: str | None) -> int:
    """eIDAS level as a number; an unknown level ranks below every real one."""
    return ACR_LEVELS.index(acr) if acr in ACR_LEVELS else -1


@dataclass(frozen=True)
class Receipt:
    """What the citizen keeps of their signature (its hash: :func:`receipt_hash`), and its
    commitment in the transparency log; the secret behind it when the hub made it (shown once,
    never kept)."""

    signature_id: str
    petition_id: str
    signed_at: str
    hash: str
    commitment: str = ""
    secret: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The receipt notifications knows (petition.signatures_recorded): never the secret."""
        # NOTE: not dataclasses.asdict, which deep-copies field by field (docs/capacity.md)
        return {
            "signature_id": self.signature_id,
            "petition_id": self.petition_id,
            "signed_at": self.signed_at,
            "hash": self.hash,
        }


def receipt_hash(petition_id: str, signature_id: str, signed_at: str) -> str:
    """Binds a signature's id and time to its petition; the citizen keeps it as a receipt."""
    return hashlib.sha256(f"{petition_id}\n{signature_id}\n{signed_at}".encode()).hexdigest()
