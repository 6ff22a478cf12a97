"""Petition authors' e-mail rules, in plain Python: the author key (the petitions service hands
it to the author once; we only ever see its hash), the request to be e-mailed, and the bus
payloads that concern authors."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from services.notifications.mail.domain.receipts import LOCALES, email_address
from services.notifications.web.errors import InvalidEvent, InvalidRequest

MAX_AUTHOR_KEY_LENGTH = 200
MAX_PETITION_ID_LENGTH = 100
REQUEST_FIELDS = ("petition_id", "author_key", "email", "locale")
# How a petition can end; each one erases the author's address.
ENDINGS = ("rejected", "closed", "withdrawn", "hidden")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# A placeholder to compare against when the petition is unknown, so both paths do the same work.
_NO_HASH = "0" * 64


@dataclass(frozen=True)
class AuthorEmailRequest:
    petition_id: str
    author_key: str
    email: str
    locale: str


def author_key_hash(petition_id: str, author_key: str) -> str:
    """The petitions service's binding of an author key to its petition."""
    return hashlib.sha256(f"{petition_id}\n{author_key}".encode()).hexdigest()


def holds_author_key(recorded_hash: str | None, petition_id: str, author_key: str) -> bool:
    """The key presented is the petition's author key (constant time)."""
    presented = author_key_hash(petition_id, author_key)
    same = hmac.compare_digest(presented.encode(), (recorded_hash or _NO_HASH).encode())
    return same and recorded_hash is not None


def author_email_request(data: Mapping[str, Any]) -> AuthorEmailRequest:
    unknown = sorted(set(data) - set(REQUEST_FIELDS))
    if unknown:
        raise InvalidRequest(f"unknown fields: {', '.join(unknown)}", "unknown_field")
    petition_id = data.get("petition_id")
    if not _short_string(petition_id, MAX_PETITION_ID_LENGTH):
        raise InvalidRequest("petition_id must be the petition's id", "invalid_petition_id")
    author_key = data.get("author_key")
    if not _short_string(author_key, MAX_AUTHOR_KEY_LENGTH):
        raise InvalidRequest(
            "author_key must be the key given when the petition was created", "invalid_author_key"
        )
    locale = data.get("locale", "fr")
    if locale not in LOCALES:
        raise InvalidRequest(f"locale must be one of {', '.join(LOCALES)}", "invalid_locale")
    return AuthorEmailRequest(petition_id, author_key, email_address(data.get("email")), locale)


def submitted_author(payload: Mapping[str, Any]) -> tuple[str, str | None]:
    """A ``petition.submitted`` payload: the petition's id and its author-key hash.

    NOTE: a payload without ``author_key_hash`` (a petitions service older than author e-mail)
    is not an error: that petition's author simply cannot register an address.
    """
    petition_id = payload.get("petition_id")
    if not _short_string(petition_id, MAX_PETITION_ID_LENGTH):
        raise InvalidEvent("petition.submitted payload needs petition_id")
    key_hash = payload.get("author_key_hash")
    if key_hash is not None and not (isinstance(key_hash, str) and _HEX64.match(key_hash)):
        raise InvalidEvent("petition.submitted author_key_hash must be 64 hexadecimal digits")
    return petition_id, key_hash


def whole_number(raw: Any) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else None


def _short_string(raw: Any, limit: int) -> TypeGuard[str]:
    return isinstance(raw, str) and 0 < len(raw) <= limit
