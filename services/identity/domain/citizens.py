"""Citizens: the pivot identity that makes two logins the same person, the citizen's key, the
pairwise subjects clients and resource services know them by, and their age.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.oidc import PIVOT_FIELDS, b64url

ADULT_AGE = 18
_BIRTHDATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_BIRTHPLACE = re.compile(r"^(2[AB]|[0-9]{2})[0-9]{3}$")  # INSEE COG commune code
_BIRTHCOUNTRY = re.compile(r"^99[0-9]{3}$")  # INSEE COG country code; France is 99100


class IncompleteIdentity(ValueError):
    """The identity provider's claims do not make a usable pivot identity."""


# --- citizens and subjects -------------------------------------------------------------------


def normalize_birthdate(raw: str) -> str:
    """``YYYY-MM-DD``; presumed dates sent as ``-00`` become ``-01`` (FranceConnect's way)."""
    match = _BIRTHDATE.match(raw.strip())
    if not match:
        raise IncompleteIdentity("birthdate must be YYYY-MM-DD")
    year, month, day = match.groups()
    month = "01" if month == "00" else month
    day = "01" if day == "00" else day
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        raise IncompleteIdentity("birthdate is not a calendar date") from None
    return f"{year}-{month}-{day}"


def _text(value: Any) -> str:
    # NOTE: identity providers differ in spacing and case, never in the register's spelling.
    if not isinstance(value, str):
        return ""
    return " ".join(unicodedata.normalize("NFC", value).split()).casefold()


@dataclass(frozen=True)
class PivotIdentity:
    """FranceConnect's six pivot fields: what makes two logins the same person."""

    given_name: str
    family_name: str
    birthdate: str
    gender: str
    birthplace: str
    birthcountry: str

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> PivotIdentity:
        given, family = _text(claims.get("given_name")), _text(claims.get("family_name"))
        if not given or not family:
            raise IncompleteIdentity("given_name and family_name are required")
        if claims.get("gender") not in ("male", "female"):
            raise IncompleteIdentity("gender must be male or female")
        birthcountry = str(claims.get("birthcountry") or "").strip()
        birthplace = str(claims.get("birthplace") or "").strip().upper()
        if not _BIRTHCOUNTRY.match(birthcountry):
            raise IncompleteIdentity("birthcountry must be an INSEE country code (99XXX)")
        if birthplace and not _BIRTHPLACE.match(birthplace):
            raise IncompleteIdentity("birthplace must be an INSEE commune code or empty")
        birthdate = normalize_birthdate(str(claims.get("birthdate") or ""))
        return cls(given, family, birthdate, claims["gender"], birthplace, birthcountry)

    def canonical(self) -> str:
        return "\x1f".join(getattr(self, name) for name in PIVOT_FIELDS)


def citizen_fingerprint(pivot: PivotIdentity, secret: str) -> str:
    """The citizen's key: a keyed hash of the pivot identity, the same whichever upstream.

    NOTE: keyed (HMAC) rather than a bare hash, so that the table cannot be matched against
    guessed identities without the subject secret.
    """
    message = ("hub-citizen-v1\x1f" + pivot.canonical()).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def pairwise_subject(secret: str, sector: str, citizen_id: str) -> str:
    """OIDC Core 8.1 pairwise identifier: HMAC-SHA256 over (sector, citizen id), base64url."""
    message = f"hub-sub-v1\x1f{sector}\x1f{citizen_id}".encode()
    return b64url(hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest())


def signer_claim(secret: str, fingerprint: str) -> str:
    """The ``signer`` claim: one per person (from the fingerprint, so the same after an erasure
    and a new login), the same whatever the petitions URL (unlike the pairwise subject).

    NOTE: petitions never stores it, only HMAC(k_P, signer) per petition (its nullifier).
    """
    message = f"hub-signer-v1\x1f{fingerprint}".encode()
    return b64url(hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest())


def client_sector(client_id: str) -> str:
    return f"client:{client_id}"


def resource_sector(audience: str) -> str:
    return f"resource:{audience}"


# --- age -------------------------------------------------------------------------------------


def age_on(birthdate: date, today: date) -> int:
    before_birthday = (today.month, today.day) < (birthdate.month, birthdate.day)
    return today.year - birthdate.year - int(before_birthday)


def is_adult(birthdate: str, today: date) -> bool:
    """Adult (18) on ``today``. Presumed dates count as given (the register's convention)."""
    return age_on(date.fromisoformat(normalize_birthdate(birthdate)), today) >= ADULT_AGE
