"""The identity service's rules, in plain Python: citizens, subjects, PKCE, levels, scopes, age.

No nameko, no SQLAlchemy, no HTTP here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.scopes import PIVOT_SCOPES, SCOPE_ALIASES

PIVOT_FIELDS = ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")
ACR_LEVELS = ("eidas1", "eidas2", "eidas3")  # eIDAS 910/2014 art. 8: low < substantial < high
ADULT_AGE = 18
# RFC 7636 4.1: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"
_PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_PKCE_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_BIRTHDATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_BIRTHPLACE = re.compile(r"^(2[AB]|[0-9]{2})[0-9]{3}$")  # INSEE COG commune code
_BIRTHCOUNTRY = re.compile(r"^99[0-9]{3}$")  # INSEE COG country code; France is 99100


class IncompleteIdentity(ValueError):
    """The identity provider's claims do not make a usable pivot identity."""


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def random_token(nbytes: int = 32) -> str:
    """A URL-safe random string; 32 bytes give 43 characters (FranceConnect asks >= 32)."""
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    """How codes, secrets and browser keys are stored: never in clear."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def same_digest(value: str, stored: str) -> bool:
    return hmac.compare_digest(digest(value), stored)


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


def client_sector(client_id: str) -> str:
    return f"client:{client_id}"


def resource_sector(audience: str) -> str:
    return f"resource:{audience}"


# --- PKCE (RFC 7636) -------------------------------------------------------------------------


def s256_challenge(verifier: str) -> str:
    """RFC 7636 4.2: BASE64URL(SHA256(ASCII(code_verifier)))."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def valid_s256_challenge(challenge: str) -> bool:
    return bool(_PKCE_S256_CHALLENGE.match(challenge))


def pkce_matches(challenge: str, verifier: str | None) -> bool:
    """RFC 7636 4.6: the verifier must be well formed and hash to the stored challenge."""
    if not pkce_verifier_well_formed(verifier):
        return False
    return hmac.compare_digest(s256_challenge(verifier), challenge)  # type: ignore[arg-type]


def pkce_verifier_well_formed(verifier: str | None) -> bool:
    """RFC 7636 4.1: 43 to 128 unreserved characters."""
    return bool(verifier) and _PKCE_VERIFIER.match(verifier) is not None  # type: ignore[arg-type]


# --- levels of assurance ---------------------------------------------------------------------


def acr_rank(acr: Any) -> int:
    """0-based rank of an eIDAS level; -1 for anything else."""
    return ACR_LEVELS.index(acr) if acr in ACR_LEVELS else -1


def requested_acr(raw: str | None) -> str | None:
    """The level a request asks for: with several ``acr_values`` the lowest applies (FC rule).

    None when the request names levels but none that we know.
    """
    values = [v for v in (raw or "").split() if v]
    if not values:
        return ACR_LEVELS[0]
    known = [v for v in values if acr_rank(v) >= 0]
    return min(known, key=acr_rank) if known else None


def meets_acr(acr: Any, minimum: str) -> bool:
    return acr_rank(acr) >= acr_rank(minimum) >= 0


# --- scopes and claims -----------------------------------------------------------------------


def granted_scopes(requested: Iterable[str], registered: Iterable[str]) -> list[str]:
    """The requested scopes the client is registered for, in request order, once each."""
    allowed = set(registered)
    granted: list[str] = []
    for scope in requested:
        if scope in allowed and scope not in granted:
            granted.append(scope)
    return granted


def released_claims(scopes: Iterable[str]) -> list[str]:
    """The pivot-identity claims the scopes give access to (aliases expanded)."""
    claims: list[str] = []
    for scope in scopes:
        for claim in SCOPE_ALIASES.get(scope, (scope,)):
            if claim in PIVOT_SCOPES and claim not in claims:
                claims.append(claim)
    return claims


def audience(resources: list[str], public_url: Any, issuer: str) -> str | list[str]:
    """RFC 9068 ``aud``: the resource services' URLs; the issuer itself when there is none."""
    urls = [public_url(r) for r in resources]
    if not urls:
        return issuer
    return urls[0] if len(urls) == 1 else urls


# --- age -------------------------------------------------------------------------------------


def age_on(birthdate: date, today: date) -> int:
    before_birthday = (today.month, today.day) < (birthdate.month, birthdate.day)
    return today.year - birthdate.year - int(before_birthday)


def is_adult(birthdate: str, today: date) -> bool:
    """Adult (18) on ``today``. Presumed dates count as given (the register's convention)."""
    return age_on(date.fromisoformat(normalize_birthdate(birthdate)), today) >= ADULT_AGE
