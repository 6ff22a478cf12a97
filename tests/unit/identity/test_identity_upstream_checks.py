"""The hub as a relying party refuses every upstream ID token it should (OIDF RP checks)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from services.identity.oidc.relying_party import UpstreamClient, UpstreamRejected
from services.identity.upstreams import UpstreamProvider

ISSUER = "https://idp.example"
NONCE = "n" * 43
PROVIDER = UpstreamProvider(
    "idp", "IdP", ISSUER, "hub", "secret", ("openid",), ("eidas1", "eidas2")
)


@pytest.fixture
def upstream():
    key = ECKey.generate_key("P-256", private=True)
    client = UpstreamClient(PROVIDER, "https://hub.example")
    client._metadata = {"issuer": ISSUER, "jwks_uri": ISSUER + "/jwks"}
    client._keys = {"k1": key}
    client._keys_fetched_at = time.time()  # no refetch: nothing to fetch from in a unit test
    client.signing_key = key
    return client


def claims(**overrides):
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": "hub",
        "sub": "s",
        "iat": now,
        "exp": now + 60,
        "nonce": NONCE,
        "acr": "eidas1",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def signed(upstream, body, kid="k1", key=None):
    return jwt.encode({"alg": "ES256", "kid": kid}, body, key or upstream.signing_key)


def test_a_good_id_token_is_accepted(upstream):
    assert upstream.verify_id_token(signed(upstream, claims()), NONCE, "eidas1")["sub"] == "s"


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "https://other.example"},
        {"aud": "someone-else"},
        {"aud": ["hub", "other"]},  # several audiences without azp
        {"exp": int(time.time()) - 3600},
        {"iat": None},
        {"sub": None},
        {"nonce": "m" * 43},
        {"acr": "eidas1"},  # below the eidas2 asked for in this case
    ],
)
def test_bad_id_tokens_are_refused(upstream, overrides):
    minimum = "eidas2" if overrides.get("acr") else "eidas1"
    with pytest.raises(UpstreamRejected):
        upstream.verify_id_token(signed(upstream, claims(**overrides)), NONCE, minimum)


def test_a_token_signed_by_another_key_is_refused(upstream):
    other = ECKey.generate_key("P-256", private=True)
    with pytest.raises(UpstreamRejected):
        upstream.verify_id_token(signed(upstream, claims(), key=other), NONCE, "eidas1")


def test_an_unknown_kid_is_refused(upstream):
    with pytest.raises(UpstreamRejected):
        upstream.verify_id_token(signed(upstream, claims(), kid="k2"), NONCE, "eidas1")


def _unsigned(header, body, signature=b""):
    def part(data):
        raw = json.dumps(data).encode() if isinstance(data, dict) else data
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part(header)}.{part(body)}.{part(signature)}"


def test_alg_none_is_refused(upstream):
    with pytest.raises(UpstreamRejected):
        upstream.verify_id_token(_unsigned({"alg": "none", "kid": "k1"}, claims()), NONCE, "eidas1")


def test_hs256_signed_with_the_public_key_is_refused(upstream):
    public_pem = upstream.signing_key.as_pem(private=False)
    header, body = {"alg": "HS256", "kid": "k1"}, claims()
    token = _unsigned(header, body)
    signing_input = token.rsplit(".", 1)[0].encode()
    mac = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    forged = token.rsplit(".", 1)[0] + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(UpstreamRejected):
        upstream.verify_id_token(forged, NONCE, "eidas1")
