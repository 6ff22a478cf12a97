"""The one table turning the webhooks' and e-mail's refusals into HTTP answers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from services.notifications.mail.domain import errors as mail
from services.notifications.webhooks.domain import errors as webhooks
from shared.web import HttpError

Refusal = webhooks.WebhooksError | mail.MailError

_STATUS: dict[type[Refusal], int] = {
    webhooks.InvalidRequest: 400,
    webhooks.ForbiddenTarget: 400,
    webhooks.InsufficientScope: 403,
    webhooks.SubscriptionNotFound: 404,
    webhooks.DeliveryNotFound: 404,
    webhooks.Conflict: 409,
    mail.InvalidRequest: 400,
    mail.ReceiptNotFound: 404,
    mail.AuthorKeyNotFound: 404,
    mail.Conflict: 409,
}
# Receipts and author keys arrive on the bus within seconds of the petitions service's answer.
RETRY_RECEIPT_AFTER_SECONDS = 2


def to_http(exc: Refusal) -> HttpError:
    status = _STATUS.get(type(exc), 400)
    headers: dict[str, str] = {}
    if isinstance(exc, webhooks.InsufficientScope):
        headers["WWW-Authenticate"] = f'Bearer error="insufficient_scope", scope="{exc.message}"'
        return HttpError(status, exc.code, f"this call needs the scope {exc.message}", headers)
    if isinstance(exc, (mail.ReceiptNotFound, mail.AuthorKeyNotFound)):
        headers["Retry-After"] = str(RETRY_RECEIPT_AFTER_SECONDS)
    return HttpError(status, exc.code, exc.message, headers)


F = TypeVar("F", bound=Callable[..., Any])


def translated(method: F) -> F:
    """Entrypoint decorator: domain refusals become JSON HTTP errors."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (webhooks.WebhooksError, mail.MailError) as exc:
            raise to_http(exc) from None

    return wrapper  # type: ignore[return-value]
