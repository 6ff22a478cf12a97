"""Why the petitions service refuses: one kind of :class:`PetitionError` per reason.

Each kind has its ``code`` (the answer's ``error``); the edge turns them into HTTP answers in one
table (web/errors.py).
"""

from __future__ import annotations

from shared.refusals import Refusal


class PetitionError(Refusal):
    code = "petition_error"


class NotFound(PetitionError):
    code = "not_found"


class Forbidden(PetitionError):
    code = "forbidden"


class InvalidTransition(PetitionError):
    code = "invalid_transition"


class NotEligible(PetitionError):
    """The citizen may not sign; ``code`` is the reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code)


class NotOpen(PetitionError):
    code = "petition_not_open"


class Closed(PetitionError):
    code = "petition_closed"


class AlreadySigned(PetitionError):
    code = "already_signed"


class NotSigned(PetitionError):
    code = "not_signed"


class WrongReceiptSecret(PetitionError):
    """A well-formed receipt secret that is not the one of the signature withdrawn."""

    code = "wrong_receipt_secret"


class NotEnoughSponsors(PetitionError):
    code = "not_enough_sponsors"


class SponsoringClosed(PetitionError):
    code = "sponsoring_closed"


class AlreadySponsored(PetitionError):
    code = "already_sponsored"
