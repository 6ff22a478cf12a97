"""The hub's signing keys: ES256, kept wrapped in the identity database, published as the JWKS.

The first key is made on first use. Two workers (or replicas) doing that at once both try to
insert generation 1; the unique constraint lets one win and the other reads the winner's key.

Rotation (``hub keys rotate``, :func:`rotate`): the next generation is published at once and signs
only from ``activates_at``, so that every verifier has had time to fetch it; the keys it replaces
keep being published until ``retires_at``, when every token they signed has expired.

Private keys are wrapped with AES-256-GCM under a key derived (HKDF) from the hub's secret, with
the kid as associated data, so a copy of the database alone does not let anyone sign.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.jwk import ECKey
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from services.identity.adapters import jwt as jwtutil
from services.identity.adapters.jwt import JwtRejected
from services.identity.storage import signing_keys
from shared.clock import as_utc, utcnow

ALGORITHM = "ES256"
WRAPPED_PREFIX = "aesgcm-v1:"
# NOTE: replicas reread the key table this often, so a rotated key must be published at least
# this long (plus verifiers' JWKS refetch interval) before it signs: see DEFAULT_PUBLISH_AHEAD.
RELOAD_SECONDS = 30
DEFAULT_PUBLISH_AHEAD_SECONDS = 300


class KeyStore:
    def __init__(self, engine: Engine, secret: str, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock
        self._wrap_key = wrapping_key(secret)
        self._keys: dict[str, ECKey] = {}
        self._rows: list[dict[str, Any]] = []
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        kid = self._current_kid()
        return jwtutil.sign(claims, self._keys[kid], kid, typ)

    def jwks(self) -> dict[str, Any]:
        """Every published key: the one signing, the next one, and those whose tokens live on."""
        self._current_kid()
        self._reload()  # NOTE: another replica may have rotated; publish what the database holds
        return {"keys": [_public_jwk(kid, self._keys[kid]) for kid in self._published()]}

    def verify(
        self, token: str, issuer: str, typ: str | None = None, allow_expired: bool = False
    ) -> dict[str, Any]:
        """Claims of a token this hub signed (signature, ``iss``, ``exp``, ``iat``, ``typ``)."""
        header = jwtutil.unverified_header(token)
        if header["alg"] != ALGORITHM or (typ and header.get("typ") != typ):
            raise JwtRejected("not one of our tokens")
        key = self._key(header["kid"])
        claims = jwtutil.verified_claims(token, key, ALGORITHM)
        if claims.get("iss") != issuer:
            raise JwtRejected("issuer mismatch")
        if not allow_expired:
            jwtutil.check_times(claims, self.clock())
        return claims

    def signing_key_age(self) -> float:
        kid = self._current_kid()
        row = next(r for r in self._rows if r["kid"] == kid)
        created = as_utc(row["created_at"])
        started = row["activates_at"] or created.timestamp()
        return max(0.0, self.clock() - started)

    def _published(self) -> list[str]:
        now = self.clock()
        return [r["kid"] for r in self._rows if r["retires_at"] is None or r["retires_at"] > now]

    def _key(self, kid: str) -> ECKey:
        if kid not in self._published():
            self._reload()
        if kid not in self._published():
            raise JwtRejected("unknown or retired key")
        return self._keys[kid]

    def _current_kid(self) -> str:
        if self.clock() - self._loaded_at > RELOAD_SECONDS:
            with self._lock:
                self._reload()
                if not self._rows:
                    self._create_first_key()
                    self._reload()
        now = self.clock()
        active = [r for r in self._rows if (r["activates_at"] or 0) <= now]
        return str((active or self._rows)[-1]["kid"])

    def _reload(self) -> None:
        query = sa.select(signing_keys).order_by(signing_keys.c.generation)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings().all()]
        for row in rows:
            if row["kid"] not in self._keys:
                pem = unwrap(self._wrap_key, row["kid"], row["private_pem"])
                params = {"kid": row["kid"], "alg": ALGORITHM, "use": "sig"}
                self._keys[row["kid"]] = ECKey.import_key(pem, params)  # type: ignore[arg-type]
        self._rows = rows
        self._loaded_at = self.clock()

    def _create_first_key(self) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(signing_keys.insert().values(**new_key_row(self._wrap_key, 1, None)))
        except IntegrityError:
            pass  # another worker made the first key; _reload picks it up


def rotate(
    engine: Engine, secret: str, now: int, publish_ahead: int, keep_old_for: int
) -> dict[str, Any]:
    """Adds the next key, signing from ``now + publish_ahead``; retires the others after
    ``keep_old_for`` more seconds (the longest lifetime of a token they may still sign)."""
    activates_at = now + publish_ahead
    retires_at = activates_at + keep_old_for
    with engine.begin() as conn:
        last = conn.execute(sa.select(sa.func.max(signing_keys.c.generation))).scalar() or 0
        current = signing_keys.c.retires_at.is_(None)
        old = [r[0] for r in conn.execute(sa.select(signing_keys.c.kid).where(current))]
        conn.execute(signing_keys.update().where(current).values(retires_at=retires_at))
        row = new_key_row(wrapping_key(secret), last + 1, activates_at)
        conn.execute(signing_keys.insert().values(**row))
    return {
        "kid": row["kid"],
        "generation": row["generation"],
        "activates_at": activates_at,
        "retiring": [{"kid": kid, "retires_at": retires_at} for kid in old],
    }


def purge_retired(engine: Engine, now: int) -> int:
    """Deletes retired keys: nothing they signed is still valid, so nothing needs them."""
    retired = signing_keys.c.retires_at < now
    with engine.begin() as conn:
        return int(conn.execute(signing_keys.delete().where(retired)).rowcount)


def new_key_row(wrap_key: bytes, generation: int, activates_at: int | None) -> dict[str, Any]:
    key = ECKey.generate_key("P-256", private=True)
    kid = key.thumbprint()  # RFC 7638: stable, derived from the public key
    pem = key.as_pem(private=True).decode("ascii")
    return {
        "kid": kid,
        "generation": generation,
        "alg": ALGORITHM,
        "private_pem": wrap(wrap_key, kid, pem),
        "created_at": utcnow(),
        "activates_at": activates_at,
        "retires_at": None,
    }


# --- wrapping private keys -------------------------------------------------------------------


def wrapping_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hub-signing-key-wrap-v1")
    return hkdf.derive(secret.encode("utf-8"))


def wrap(wrap_key: bytes, kid: str, pem: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(wrap_key).encrypt(nonce, pem.encode("ascii"), kid.encode("ascii"))
    return WRAPPED_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def unwrap(wrap_key: bytes, kid: str, stored: str) -> str:
    if not stored.startswith(WRAPPED_PREFIX):
        return stored  # NOTE: keys made before wrapping existed (migration 0002) are in clear
    raw = base64.b64decode(stored[len(WRAPPED_PREFIX) :])
    try:
        return AESGCM(wrap_key).decrypt(raw[:12], raw[12:], kid.encode("ascii")).decode("ascii")
    except InvalidTag:
        raise RuntimeError(
            "a signing key cannot be unwrapped: HUB_SUBJECT_SECRET is not the one it was made with"
        ) from None


def _public_jwk(kid: str, key: ECKey) -> dict[str, Any]:
    public = key.as_dict(private=False)
    return {**public, "kid": kid, "alg": ALGORITHM, "use": "sig"}
