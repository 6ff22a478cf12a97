"""ES256 compact JWS signing (RFC 7515, RFC 7518 3.4), for the tokens the hub and its mock
provider sign: with the key's ``cryptography`` object (what joserfc signs with), without
joserfc's generic JWS machinery, which costs more than the signature itself (docs/capacity.md).
Verification stays joserfc's (or python-jose's, shared.auth)."""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey

_ES256 = ec.ECDSA(hashes.SHA256())
_P256_BYTES = 32


def sign(claims: dict[str, Any], key: ECKey, kid: str, typ: str = "JWT") -> str:
    """The compact serialization of ``claims`` signed with ``key`` (a private P-256 key): the
    signature is R and S, 32 bytes each."""
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
