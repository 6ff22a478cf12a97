"""The hub's signing keys: ES256, kept in the identity database, published as the JWKS.

The first key is made on first use. Two workers (or replicas) doing that at once both try to
insert generation 1; the unique constraint lets one win and the other reads the winner's key.

NOTE: private keys are stored in clear in the identity database; a deployment that needs more
wraps them with a KMS. Rotation = insert the next generation; old keys stay published so that
tokens they signed still verify.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from joserfc.jwk import ECKey
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from services.identity.oidc import jwt as jwtutil
from services.identity.oidc.jwt import JwtRejected
from services.identity.storage import signing_keys
from shared.envelope import utcnow

ALGORITHM = "ES256"


class KeyStore:
    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock
        self._keys: dict[str, ECKey] = {}
        self._current: str | None = None
        self._lock = threading.Lock()

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        kid = self._current_kid()
        return jwtutil.sign(claims, self._keys[kid], kid, typ)

    def jwks(self) -> dict[str, Any]:
        self._current_kid()
        self._reload()  # NOTE: another replica may have rotated; publish what the database holds
        return {"keys": [_public_jwk(kid, key) for kid, key in self._keys.items()]}

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

    def _key(self, kid: str) -> ECKey:
        if kid not in self._keys:
            self._reload()
        if kid not in self._keys:
            raise JwtRejected("unknown key")
        return self._keys[kid]

    def _current_kid(self) -> str:
        if self._current is None:
            with self._lock:
                if self._current is None:
                    self._reload()
                    if self._current is None:
                        self._create_first_key()
                        self._reload()
        assert self._current is not None
        return self._current

    def _reload(self) -> None:
        query = sa.select(signing_keys).order_by(signing_keys.c.generation)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        for row in rows:
            if row["kid"] not in self._keys:
                params = {"kid": row["kid"], "alg": ALGORITHM, "use": "sig"}
                self._keys[row["kid"]] = ECKey.import_key(row["private_pem"], params)  # type: ignore[arg-type]
        if rows:
            self._current = rows[-1]["kid"]

    def _create_first_key(self) -> None:
        key = ECKey.generate_key("P-256", private=True)
        row = {
            "kid": key.thumbprint(),  # RFC 7638: stable, derived from the public key
            "generation": 1,
            "alg": ALGORITHM,
            "private_pem": key.as_pem(private=True).decode("ascii"),
            "created_at": utcnow(),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(signing_keys.insert().values(**row))
        except IntegrityError:
            pass  # another worker made the first key; _reload picks it up


def _public_jwk(kid: str, key: ECKey) -> dict[str, Any]:
    public = key.as_dict(private=False)
    return {**public, "kid": kid, "alg": ALGORITHM, "use": "sig"}
