"""The mock provider's signatures: ES256 JWTs under its one key, published as its JWKS."""

from __future__ import annotations

from typing import Any

from joserfc.jwk import ECKey

from shared import jws

ALGORITHM = "ES256"


class KeySigner:
    def __init__(self, key: ECKey | None = None) -> None:
        self.key = key or ECKey.generate_key("P-256", private=True)
        self.kid = self.key.thumbprint()

    def sign(self, claims: dict[str, Any]) -> str:
        return _signed(claims, self.key, self.kid)

    def sign_with_another_key(self, claims: dict[str, Any]) -> str:
        """A signature no published key verifies, under the published kid all the same."""
        return _signed(claims, ECKey.generate_key("P-256", private=True), self.kid)

    def jwks(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}]}


def _signed(claims: dict[str, Any], key: ECKey, kid: str) -> str:
    return jws.sign(claims, key, kid)
