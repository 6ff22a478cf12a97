"""Citizen e-mail rules, in plain Python: the signature receipt a citizen presents (it proves a
signature without saying who signed), the request to be e-mailed, and address checks."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.notifications.web.errors import InvalidEvent, InvalidRequest

LOCALES = ("fr", "en")
MAX_EMAIL_LENGTH = 254
# NOTE: deliberately plain (RFC 5321 "dot-atom"-like, no quoted local parts, no comments): the
# address goes into SMTP commands and headers, and the citizen confirms it by reading the mail.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
RECEIPT_FIELDS = ("signature_id", "petition_id", "signed_at", "hash")


@dataclass(frozen=True)
class Receipt:
    signature_id: str
    petition_id: str
    signed_at: str
    hash: str


@dataclass(frozen=True)
class SignatureEmailRequest:
    receipt: Receipt
    email: str
    locale: str
    notify_outcome: bool


def receipt_hash(petition_id: str, signature_id: str, signed_at: str) -> str:
    """The petitions service's binding of a signature to its petition and time."""
    return hashlib.sha256(f"{petition_id}\n{signature_id}\n{signed_at}".encode()).hexdigest()


def same_receipt(recorded: Any, presented: Receipt) -> bool:
    """The presented receipt is the one the petitions service announced (constant time)."""
    fields = (recorded.petition_id, recorded.signed_at or "", recorded.hash or "")
    wanted = (presented.petition_id, presented.signed_at, presented.hash)
    pairs = zip(fields, wanted, strict=True)
    return all(hmac.compare_digest(a.encode(), b.encode()) for a, b in pairs)


def parse_receipt(raw: Any, error: type[Exception] = InvalidRequest) -> Receipt:
    if not isinstance(raw, Mapping) or set(raw) != set(RECEIPT_FIELDS):
        raise error(f"a receipt has exactly: {', '.join(RECEIPT_FIELDS)}")
    values = {name: raw[name] for name in RECEIPT_FIELDS}
    if not all(isinstance(v, str) and 0 < len(v) <= 100 for v in values.values()):
        raise error("the receipt's fields must be short strings")
    if not _HEX64.match(values["hash"]):
        raise error("the receipt's hash must be 64 hexadecimal digits")
    return Receipt(**values)


def recorded_receipt(payload: Mapping[str, Any]) -> Receipt:
    """The receipt of a ``petition.signature_recorded`` event, checked against its own hash."""
    receipt = parse_receipt(dict(payload), InvalidEvent)
    if receipt.hash != receipt_hash(receipt.petition_id, receipt.signature_id, receipt.signed_at):
        raise InvalidEvent("the receipt's hash does not match its fields")
    return receipt


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


def email_address(raw: Any) -> str:
    if not isinstance(raw, str) or len(raw) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(raw):
        raise InvalidRequest("email must be a plain e-mail address", "invalid_email")
    local, _, domain = raw.partition("@")
    return f"{local}@{domain.lower()}"
