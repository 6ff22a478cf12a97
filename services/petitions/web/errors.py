"""Domain errors to HTTP, in one table."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from services.petitions import domain
from shared.web import HttpError

T = TypeVar("T")

STATUS_OF = {
    domain.NotFound: 404,
    domain.Forbidden: 403,
    domain.InvalidTransition: 409,
    domain.NotEligible: 403,
    domain.NotOpen: 409,
    domain.Closed: 410,
    domain.AlreadySigned: 409,
    domain.NotSigned: 404,
    domain.NotEnoughSponsors: 409,
    domain.SponsoringClosed: 409,
    domain.AlreadySponsored: 409,
    domain.WrongReceiptSecret: 400,
}


def to_http(error: domain.PetitionError) -> HttpError:
    for kind, status in STATUS_OF.items():
        if isinstance(error, kind):
            return HttpError(status, error.code, error.message)
    return HttpError(400, error.code, error.message)


def translated(call: Callable[[], T]) -> T:
    """What ``call`` returns; a domain refusal raised as its HTTP answer."""
    try:
        return call()
    except domain.PetitionError as error:
        raise to_http(error) from None
