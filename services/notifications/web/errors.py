"""The notifications service's errors, and their translation to HTTP in one table."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from shared.web import HttpError


class InvalidEvent(ValueError):
    """A message on the bus is not a public petition event we can forward (dead-lettered)."""


class NotificationsError(Exception):
    """A refusal the client caused; ``code`` is the JSON error code."""

    code = "invalid_request"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidRequest(NotificationsError):
    pass


class ForbiddenTarget(NotificationsError):
    """The webhook URL points at a network the hub must not call (SSRF defence)."""

    code = "forbidden_target"


class SubscriptionNotFound(NotificationsError):
    code = "subscription_not_found"


class DeliveryNotFound(NotificationsError):
    code = "delivery_not_found"


class ReceiptNotFound(NotificationsError):
    """Unknown (perhaps not yet: the petitions service announces receipts within seconds)."""

    code = "receipt_not_found"


class AuthorKeyNotFound(NotificationsError):
    """Unknown petition or wrong key (perhaps not yet: ``petition.submitted`` may lag)."""

    code = "author_key_not_found"


class Conflict(NotificationsError):
    code = "conflict"


class InsufficientScope(NotificationsError):
    code = "insufficient_scope"


_STATUS: dict[type[NotificationsError], int] = {
    InvalidRequest: 400,
    ForbiddenTarget: 400,
    InsufficientScope: 403,
    SubscriptionNotFound: 404,
    DeliveryNotFound: 404,
    ReceiptNotFound: 404,
    AuthorKeyNotFound: 404,
    Conflict: 409,
}
RETRY_RECEIPT_AFTER_SECONDS = 2


def to_http(exc: NotificationsError) -> HttpError:
    status = _STATUS.get(type(exc), 400)
    headers: dict[str, str] = {}
    if isinstance(exc, InsufficientScope):
        headers["WWW-Authenticate"] = f'Bearer error="insufficient_scope", scope="{exc.message}"'
        return HttpError(status, exc.code, f"this call needs the scope {exc.message}", headers)
    if isinstance(exc, (ReceiptNotFound, AuthorKeyNotFound)):
        headers["Retry-After"] = str(RETRY_RECEIPT_AFTER_SECONDS)
    return HttpError(status, exc.code, exc.message, headers)


F = TypeVar("F", bound=Callable[..., Any])


def translated(method: F) -> F:
    """Entrypoint decorator: domain errors become JSON HTTP errors."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except NotificationsError as exc:
            raise to_http(exc) from None

    return wrapper  # type: ignore[return-value]
