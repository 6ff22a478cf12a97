"""The log's refusals to HTTP, in one place: JSON errors, and ``Cache-Control: no-store`` on
every 404 (a CDN must never keep "not there" for a tile that will exist)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from services.transparency import domain
from shared.web import HttpError

T = TypeVar("T")
RETRY_SECONDS = "2"


def to_http(error: domain.LogError) -> HttpError:
    if isinstance(error, domain.Refused):
        return HttpError(400, error.code, str(error))
    if isinstance(error, domain.NotYet):
        headers = {"Cache-Control": "no-store", "Retry-After": RETRY_SECONDS}
        return HttpError(404, "not_yet", str(error), headers)
    if isinstance(error, domain.NotFound):
        return HttpError(404, "not_found", str(error), {"Cache-Control": "no-store"})
    return HttpError(500, "internal_error", "something went wrong on our side")


def translated(call: Callable[[], T]) -> T:
    try:
        return call()
    except domain.LogError as error:
        raise to_http(error) from None
