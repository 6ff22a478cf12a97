"""JWT plumbing for the hub's own tokens and its upstream providers' (joserfc).

Asymmetric algorithms only: ``alg: none`` and HS* are never produced nor accepted (RFC 8725 3.1),
which also defeats an HS256 token "signed" with a public key.

Tokens are signed by :func:`shared.jws.sign` (ES256 with the key's ``cryptography`` object).
"""

from __future__ import annotations

from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError

from shared.jws import sign

ACCEPTED_ALGORITHMS = ("ES256", "RS256")
# NOTE: clocks of the hub and its providers drift a little; 30 s is what OIDC deployments allow
# (the same leeway as shared.auth).
LEEWAY_SECONDS = 30
_PARSE_ERRORS = (JoseError, ValueError, TypeError, KeyError, AttributeError)


class JwtRejected(Exception):
    """The JWT cannot be trusted; the message says why (for logs, never for the citizen)."""


def unverified_header(token: Any) -> dict[str, Any]:
    """The protected header, to pick the key; nothing in it is trusted yet."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise JwtRejected("not a compact JWS")
    try:
        header = dict(jws.extract_compact(token.encode("ascii")).headers())
    except (*_PARSE_ERRORS, UnicodeEncodeError):
        raise JwtRejected("malformed JWS") from None
    if header.get("alg") not in ACCEPTED_ALGORITHMS:
        raise JwtRejected(f"algorithm {header.get('alg')!r} is not accepted")
    if not isinstance(header.get("kid"), str):
        raise JwtRejected("the token names no key (kid)")
    return header


def verified_claims(token: str, key: Any, alg: str) -> dict[str, Any]:
    """The claims, once the signature checks out with ``key`` and ``alg`` (claims unchecked)."""
    try:
        claims = jwt.decode(token, key, algorithms=[alg]).claims
    except _PARSE_ERRORS:
        raise JwtRejected("bad signature") from None
    if not isinstance(claims, dict):
        raise JwtRejected("the claims are not a JSON object")
    return claims


def check_times(claims: dict[str, Any], now: float, require_iat: bool = True) -> None:
    """RFC 7519 4.1.4/4.1.6: not expired, not issued in the future (with leeway)."""
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp + LEEWAY_SECONDS < now:
        raise JwtRejected("expired or without exp")
    if iat is None and not require_iat:
        return
    if not isinstance(iat, int | float) or iat - LEEWAY_SECONDS > now:
        raise JwtRejected("iat missing or in the future")


__all__ = ["JwtRejected", "check_times", "sign", "unverified_header", "verified_claims"]
