"""JWT plumbing for the hub's own tokens and its upstream providers' (joserfc).

Asymmetric algorithms only: ``alg: none`` and HS* are never produced nor accepted (RFC 8725 3.1),
which also defeats an HS256 token "signed" with a public key.

Tokens are signed here with the key's ``cryptography`` object (what joserfc signs with), without
joserfc's generic JWS machinery, which costs more than the signature itself (docs/capacity.md).
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

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


_ES256 = ec.ECDSA(hashes.SHA256())
_P256_BYTES = 32


def sign(claims: dict[str, Any], key: ECKey, kid: str, typ: str = "JWT") -> str:
    """RFC 7515 compact serialization, ES256 (RFC 7518 3.4: R and S, 32 bytes each)."""
    private = key.private_key
    if not isinstance(private, ec.EllipticCurvePrivateKey) or private.curve.name != "secp256r1":
        raise ValueError("ES256 needs a private P-256 key")
    payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    signing_input = _header(kid, typ) + b"." + _b64(payload)
    r, s = decode_dss_signature(private.sign(signing_input, _ES256))
    signature = r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")
    return (signing_input + b"." + _b64(signature)).decode("ascii")


@lru_cache(maxsize=64)
def _header(kid: str, typ: str) -> bytes:
    return _b64(
        json.dumps({"typ": typ, "alg": "ES256", "kid": kid}, separators=(",", ":")).encode()
    )


def _b64(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")
