"""The one access-token verifier every service uses (python-jose).

- explicit algorithm allow-list (asymmetric only: ``alg: none`` and HS* are refused);
- ``iss``, ``aud``, ``exp``, ``iat`` and ``sub`` required;
- the issuer's JWKS cached, refetched when a token names an unknown ``kid`` (keys rotate), at
  most once per :data:`JWKS_MIN_REFETCH_SECONDS` so a flood of bogus kids cannot hammer the issuer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from jose import jwk, jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

log = logging.getLogger(__name__)

ALGORITHMS = ["ES256", "RS256"]
# NOTE: replicas' clocks drift a little; 30 s is what OIDC deployments commonly allow.
LEEWAY_SECONDS = 30
JWKS_MIN_REFETCH_SECONDS = 10.0
HTTP_TIMEOUT_SECONDS = 5.0


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
        self._fetched_at = 0.0
        self._lock = threading.Lock()
        self._fetch = self.fetch_json or _get_json

    def key(self, kid: str) -> dict[str, Any]:
        found = self._keys.get(kid)
        if found is None:
            self._refresh_if_allowed()
            found = self._keys.get(kid)
        if found is None:
            raise TokenInvalid("unknown_kid", "the token was signed by an unknown key")
        return found

    def _refresh_if_allowed(self) -> None:
        with self._lock:
            if self._fetched_at and time.monotonic() - self._fetched_at < JWKS_MIN_REFETCH_SECONDS:
                return
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
            self._fetched_at = time.monotonic()
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
        self._key_cache: dict[str, Any] = {}

    def verify(self, token: str) -> dict[str, Any]:
        try:
            return self._verify(token)
        except TokenInvalid as exc:
            if self._on_failure:
                self._on_failure(exc.reason)
            raise

    def _verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError:
            raise TokenInvalid("malformed", "the token is not a JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise TokenInvalid("bad_algorithm", "the token's algorithm is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenInvalid("no_kid", "the token names no key")
        key = self._constructed_key(kid, header["alg"])
        try:
            return jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require_iss": True,
                    "require_aud": True,
                    "require_exp": True,
                    "require_iat": True,
                    "require_sub": True,
                    "leeway": LEEWAY_SECONDS,
                },
            )
        except ExpiredSignatureError:
            raise TokenInvalid("expired", "the token has expired") from None
        except JWTClaimsError as exc:
            raise TokenInvalid("bad_claims", f"the token's claims are not valid: {exc}") from None
        except JWTError as exc:
            # NOTE: python-jose raises a plain JWTError for a missing required claim too.
            if "claim" in str(exc).lower():
                message = f"the token's claims are not valid: {exc}"
                raise TokenInvalid("bad_claims", message) from None
            raise TokenInvalid("bad_signature", "the token's signature is not valid") from None

    def _constructed_key(self, kid: str, alg: str) -> Any:
        # Constructing a key from its JWK costs more than verifying with it; keep them.
        cache_key = f"{kid}:{alg}"
        key = self._key_cache.get(cache_key)
        if key is None:
            data = self.jwks.key(kid)
            if data.get("alg") not in (None, alg):
                raise TokenInvalid("bad_algorithm", "the token's algorithm does not match its key")
            try:
                key = jwk.construct(data, algorithm=alg)
            except JWTError:
                raise TokenInvalid("bad_key", "the issuer's key cannot be used") from None
            self._key_cache[cache_key] = key
        return key
