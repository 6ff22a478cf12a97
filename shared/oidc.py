"""OpenID Connect rules the hub's provider (identity) and its stand-in upstream (mock_idp) both
follow: levels of assurance, the pivot identity's fields, PKCE S256, which claims a scope releases,
random values. Standard library only: each service's domain uses it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from typing import Any

from shared.scopes import PIVOT_SCOPES, SCOPE_ALIASES

PIVOT_FIELDS = ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")
ACR_LEVELS = ("eidas1", "eidas2", "eidas3")  # eIDAS 910/2014 art. 8: low < substantial < high
# RFC 7636 4.1: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"
_PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_PKCE_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def random_token(nbytes: int = 32) -> str:
    """A URL-safe random string; 32 bytes give 43 characters (FranceConnect asks >= 32)."""
    return secrets.token_urlsafe(nbytes)


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


def meets_acr(acr: Any, minimum: str) -> bool:
    return acr_rank(acr) >= acr_rank(minimum) >= 0


# --- claims ----------------------------------------------------------------------------------


def released_claims(scopes: Iterable[str]) -> list[str]:
    """The pivot-identity claims the scopes give access to (aliases expanded)."""
    claims: list[str] = []
    for scope in scopes:
        for claim in SCOPE_ALIASES.get(scope, (scope,)):
            if claim in PIVOT_SCOPES and claim not in claims:
                claims.append(claim)
    return claims
