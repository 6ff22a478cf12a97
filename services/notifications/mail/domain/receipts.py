"""Citizen e-mail rules, in plain Python: the signature receipt a citizen presents (it proves a
signature without saying who signed), and which addresses and languages we accept."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.notifications.mail.domain.errors import InvalidRequest

LOCALES = ("fr", "en")
MAX_EMAIL_LENGTH = 254
# NOTE: deliberately plain (RFC 5321 "dot-atom"-like, no quoted local parts, no comments): the
# address goes into SMTP commands and headers, and the citizen confirms it by reading the mail.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
RECEIPT_FIELDS = ("signature_id", "petition_id", "signed_at", "hash")
# What petitions' 201 answer adds to a receipt since the transparency log (issue 21): accepted so
# that a citizen may present the receipt as they got it, and ignored (the secret is never kept).
LOG_FIELDS = frozenset({"commitment", "proof_url", "receipt_secret"})


@dataclass(frozen=True)
class Receipt:
    signature_id: str
    petition_id: str
    signed_at: str
    hash: str


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
    """A receipt's form, wherever it comes from (a citizen's request, a petitions event)."""
    if not isinstance(raw, Mapping) or set(raw) - LOG_FIELDS != set(RECEIPT_FIELDS):
        raise error(f"a receipt has exactly: {', '.join(RECEIPT_FIELDS)}")
    values = {name: raw[name] for name in RECEIPT_FIELDS}
    if not all(isinstance(v, str) and 0 < len(v) <= 100 for v in values.values()):
        raise error("the receipt's fields must be short strings")
    if not _HEX64.match(values["hash"]):
        raise error("the receipt's hash must be 64 hexadecimal digits")
    return Receipt(**values)


def email_address(raw: Any) -> str:
    if not isinstance(raw, str) or len(raw) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(raw):
        raise InvalidRequest("email must be a plain e-mail address", "invalid_email")
    local, _, domain = raw.partition("@")
    return f"{local}@{domain.lower()}"
