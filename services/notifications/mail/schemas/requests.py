"""What citizens and authors send over HTTP, parsed into commands: a signature's confirmation
asked for with its receipt, an author's address registered with the author key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from services.notifications.mail.commands import AuthorEmailRequest, SignatureEmailRequest
from services.notifications.mail.domain.authors import (
    MAX_AUTHOR_KEY_LENGTH,
    MAX_PETITION_ID_LENGTH,
)
from services.notifications.mail.domain.errors import InvalidRequest
from services.notifications.mail.domain.receipts import (
    LOCALES,
    Receipt,
    email_address,
    parse_receipt,
)

AUTHOR_REQUEST_FIELDS = ("petition_id", "author_key", "email", "locale")


def signature_email_request(data: Mapping[str, Any]) -> SignatureEmailRequest:
    unknown = sorted(set(data) - {"receipt", "email", "locale", "notify_outcome"})
    if unknown:
        raise InvalidRequest(f"unknown fields: {', '.join(unknown)}", "unknown_field")
    receipt = _receipt(data.get("receipt"))
    locale = data.get("locale", "fr")
    if locale not in LOCALES:
        raise InvalidRequest(f"locale must be one of {', '.join(LOCALES)}", "invalid_locale")
    notify = data.get("notify_outcome", False)
    if not isinstance(notify, bool):
        raise InvalidRequest("notify_outcome must be true or false", "invalid_notify_outcome")
    return SignatureEmailRequest(receipt, email_address(data.get("email")), locale, notify)


def _receipt(raw: Any) -> Receipt:
    try:
        return parse_receipt(raw)
    except InvalidRequest as exc:
        raise InvalidRequest(exc.message, "invalid_receipt") from None


def author_email_request(data: Mapping[str, Any]) -> AuthorEmailRequest:
    unknown = sorted(set(data) - set(AUTHOR_REQUEST_FIELDS))
    if unknown:
        raise InvalidRequest(f"unknown fields: {', '.join(unknown)}", "unknown_field")
    petition_id = data.get("petition_id")
    if not short_string(petition_id, MAX_PETITION_ID_LENGTH):
        raise InvalidRequest("petition_id must be the petition's id", "invalid_petition_id")
    author_key = data.get("author_key")
    if not short_string(author_key, MAX_AUTHOR_KEY_LENGTH):
        raise InvalidRequest(
            "author_key must be the key given when the petition was created", "invalid_author_key"
        )
    locale = data.get("locale", "fr")
    if locale not in LOCALES:
        raise InvalidRequest(f"locale must be one of {', '.join(LOCALES)}", "invalid_locale")
    return AuthorEmailRequest(petition_id, author_key, email_address(data.get("email")), locale)


def short_string(raw: Any, limit: int) -> TypeGuard[str]:
    return isinstance(raw, str) and 0 < len(raw) <= limit
