"""The petition rules, in plain Python: no nameko, no SQLAlchemy, no HTTP here.

- ``petition.py``: a petition's lifecycle and the rules each deployment sets for it;
- ``signers.py``: who may sign or co-sponsor, and the receipt of a signature;
- ``errors.py``: why a use case refuses (:class:`PetitionError` and its kinds), turned into
  HTTP answers in one table at the edge (web/errors.py).

Everything is importable from here (``from services.petitions.domain import Petition``).
"""

from services.petitions.domain.errors import (
    AlreadySigned,
    AlreadySponsored,
    Closed,
    Forbidden,
    InvalidTransition,
    NotEligible,
    NotEnoughSponsors,
    NotFound,
    NotOpen,
    NotSigned,
    PetitionError,
    SponsoringClosed,
    WrongReceiptSecret,
)
from services.petitions.domain.petition import (
    DEFAULT_DURATION,
    REJECTION_REASONS,
    Petition,
    PetitionRules,
    Status,
    author_key_hash,
    check_enough_sponsors,
    retention_cutoff,
    thresholds_crossed,
)
from services.petitions.domain.signers import (
    ACR_LEVELS,
    DEFAULT_MIN_ACR,
    Citizen,
    Receipt,
    acr_rank,
    check_can_sign,
    check_can_sponsor,
    receipt_hash,
)

__all__ = [
    "ACR_LEVELS",
    "DEFAULT_DURATION",
    "DEFAULT_MIN_ACR",
    "REJECTION_REASONS",
    "AlreadySigned",
    "AlreadySponsored",
    "Citizen",
    "Closed",
    "Forbidden",
    "InvalidTransition",
    "NotEligible",
    "NotEnoughSponsors",
    "NotFound",
    "NotOpen",
    "NotSigned",
    "Petition",
    "PetitionError",
    "PetitionRules",
    "Receipt",
    "SponsoringClosed",
    "Status",
    "WrongReceiptSecret",
    "acr_rank",
    "author_key_hash",
    "check_can_sign",
    "check_can_sponsor",
    "check_enough_sponsors",
    "receipt_hash",
    "retention_cutoff",
    "thresholds_crossed",
]
