"""The one access-token verifier every service uses (python-jose's keys check the signatures).

- explicit algorithm allow-list (asymmetric only: ``alg: none`` and HS* are refused);
- the header's ``typ`` must say access token (``at+jwt``, RFC 9068 section 4);
- ``iss``, ``aud``, ``exp``, ``iat`` and ``sub`` required; not expired, not issued in the future
  and not before ``nbf``, each with :data:`LEEWAY_SECONDS`;
- the issuer's JWKS cached, refetched at once when a token names a ``kid`` never seen (keys
  rotate), within the bounds of :class:`shared.key_refetch.RefetchGate` so that a flood of bogus
  kids cannot hammer the issuer.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import requests
from jose import jwk
from jose.backends.base import Key
from jose.exceptions import JWTError

from shared.key_refetch import RefetchGate

log = logging.getLogger(__name__)

ALGORITHMS = ["ES256", "RS256"]
# NOTE: replicas' clocks drift a little; 30 s is what OIDC deployments commonly allow.
LEEWAY_SECONDS = 30
HTTP_TIMEOUT_SECONDS = 5.0
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "sub")
# RFC 9068 4: the JOSE header's typ, compared case-insensitively (RFC 7515 4.1.9), so that no
# other JWT the issuer signs (ID token, signed userinfo, logout token) passes for an access token.
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")


class TokenInvalid(Exception):
    """The bearer token cannot be trusted; ``reason`` is a short code for logs and metrics."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class JWKSCache:
    """The issuer's signing keys by ``kid``; fetched from discovery's ``jwks_uri`` on demand."""

    issuer: str
    fetch_json: Callable[[str], Any] | None = None
    on_refresh: Callable[[str], None] | None = None
    # Where to fetch from when it differs from the issuer (a cluster-internal address).
    fetch_base: str | None = None

    def __post_init__(self) -> None:
        self._keys: dict[str, dict[str, Any]] = {}
        self._jwks_uri: str | None = None
        self._gate = RefetchGate()
        self._lock = threading.Lock()
        self._fetch = self.fetch_json or _get_json

    def key(self, kid: str) -> dict[str, Any]:
        found = self._keys.get(kid)
        if found is None:
            self._refresh_for(kid)
            found = self._keys.get(kid)
        if found is None:
            raise TokenInvalid("unknown_kid", "the token was signed by an unknown key")
        return found

    def _refresh_for(self, kid: str) -> None:
        with self._lock:
            if kid in self._keys or not self._gate.may_fetch_for(kid):
                return  # another thread fetched it meanwhile, or fetching now is not allowed
            try:
                if self._jwks_uri is None:
                    self._jwks_uri = self._discover_jwks_uri()
                keys = self._fetch(self._jwks_uri)["keys"]
            except Exception as exc:  # noqa: BLE001 - any failure: the issuer is unavailable
                log.warning("could not fetch the issuer's keys: %s", exc)
                raise TokenInvalid(
                    "jwks_unavailable", "the token issuer's keys are unavailable"
                ) from None
            self._keys = {k["kid"]: k for k in keys if "kid" in k}
            self._gate.fetched(kid, kid in self._keys)
            if self.on_refresh:
                self.on_refresh(self.issuer)

    def _discover_jwks_uri(self) -> str:
        base = self.fetch_base or self.issuer
        jwks_uri = str(self._fetch(f"{base}/.well-known/openid-configuration")["jwks_uri"])
        if base != self.issuer and jwks_uri.startswith(self.issuer):
            jwks_uri = base + jwks_uri[len(self.issuer) :]
        return jwks_uri


def _get_json(url: str) -> Any:
    response = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS)
    response.raise_for_status()
    return response.json()


class TokenVerifier:
    """Verifies one issuer's access tokens for one audience.

    The token is split and decoded once; python-jose's key object, built once per ``kid`` and
    algorithm, checks the signature; the registered claims are then checked here (RFC 7519 4.1),
    every one of them at least as strictly as ``jose.jwt.decode`` would.
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks: JWKSCache | None = None,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks = jwks or JWKSCache(issuer)
        self._on_failure = on_failure
        # (kid, alg) -> (the JWK it was built from, the python-jose key)
        self._key_cache: dict[tuple[str, str], tuple[dict[str, Any], Key]] = {}

    def verify(self, token: str) -> dict[str, Any]:
        try:
            return self._verify(token)
        except TokenInvalid as exc:
            if self._on_failure:
                self._on_failure(exc.reason)
            raise

    def _verify(self, token: str) -> dict[str, Any]:
        header_segment, payload_segment, signing_input, signature = _split(token)
        header = _json_object(header_segment)
        if header is None:
            raise TokenInvalid("malformed", "the token is not a JWT")
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise TokenInvalid("bad_algorithm", "the token's algorithm is not accepted")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
            raise TokenInvalid("bad_type", "the token is not an access token (typ)")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenInvalid("no_kid", "the token names no key")
        if not self._constructed_key(kid, alg).verify(signing_input, signature):
            raise TokenInvalid("bad_signature", "the token's signature is not valid")
        claims = _json_object(payload_segment)
        if claims is None:
            raise TokenInvalid("bad_claims", "the token's claims are not a JSON object")
        self._check_claims(claims, time.time())
        return claims

    def _check_claims(self, claims: dict[str, Any], now: float) -> None:
        missing = [name for name in REQUIRED_CLAIMS if name not in claims]
        if missing:
            _bad_claims(f"missing required claims {missing}")
        if claims["iss"] != self.issuer:
            _bad_claims("wrong issuer")
        audiences = claims["aud"]
        if isinstance(audiences, str):
            audiences = [audiences]
        if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
            _bad_claims("aud is not a string or a list of strings")
        if self.audience not in audiences:
            _bad_claims("wrong audience")
        if not isinstance(claims["sub"], str):
            _bad_claims("sub is not a string")
        if not isinstance(claims.get("jti", ""), str):
            _bad_claims("jti is not a string")
        if "at_hash" in claims:
            # NOTE: an ID token, not an access token (python-jose refused it too: no access
            # token to compare it with).
            _bad_claims("at_hash in an access token")
        _check_times(claims, now)

    def _constructed_key(self, kid: str, alg: str) -> Key:
        """Constructing a key from its JWK costs more than verifying with it: kept per ``kid`` and
        algorithm, and built again if a JWKS refetch replaced that ``kid``'s JWK."""
        data = self.jwks.key(kid)
        cached = self._key_cache.get((kid, alg))
        if cached is not None and cached[0] is data:
            return cached[1]
        if data.get("alg") not in (None, alg):
            raise TokenInvalid("bad_algorithm", "the token's algorithm does not match its key")
        try:
            key = jwk.construct(data, algorithm=alg)
        except JWTError:
            raise TokenInvalid("bad_key", "the issuer's key cannot be used") from None
        self._key_cache[(kid, alg)] = (data, key)
        return key


def _split(token: str) -> tuple[bytes, bytes, bytes, bytes]:
    """RFC 7515 7.1: exactly three base64url segments; the signature decoded."""
    try:
        raw = token.encode("ascii")
        header, payload, signature = raw.split(b".")
        return header, payload, raw[: len(header) + 1 + len(payload)], _b64decode(signature)
    except (AttributeError, UnicodeEncodeError, ValueError, binascii.Error):
        raise TokenInvalid("malformed", "the token is not a JWT") from None


def _b64decode(segment: bytes) -> bytes:
    return base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))


def _json_object(segment: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(_b64decode(segment).decode("utf-8"))
    except (ValueError, binascii.Error):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None
    return value if isinstance(value, dict) else None


def _check_times(claims: dict[str, Any], now: float) -> None:
    """RFC 7519 4.1.4, 4.1.5, 4.1.6: NumericDates; not expired, not yet valid, nor issued in the
    future, each with :data:`LEEWAY_SECONDS`."""
    exp, iat, nbf = claims["exp"], claims["iat"], claims.get("nbf", 0)
    if not all(_is_number(v) for v in (exp, iat, nbf)):
        _bad_claims("exp, iat and nbf must be numbers")
    if exp < now - LEEWAY_SECONDS:
        raise TokenInvalid("expired", "the token has expired")
    if iat > now + LEEWAY_SECONDS:
        _bad_claims("issued in the future (iat)")
    if nbf > now + LEEWAY_SECONDS:
        _bad_claims("not yet valid (nbf)")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bad_claims(why: str) -> NoReturn:
    raise TokenInvalid("bad_claims", f"the token's claims are not valid: {why}")
