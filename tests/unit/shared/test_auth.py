"""The shared access-token verifier: every refusal branch, and the JWKS cache."""

from __future__ import annotations

import base64
import json
import time

import pytest
from jose import jwt

from shared.auth import JWKSCache, TokenInvalid, TokenVerifier
from shared.testing import TestIssuer

AUDIENCE = "https://petitions.example"


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer()  # not started: keys are served through fetch_json below


def verifier_for(issuer: TestIssuer, fetches: list[str] | None = None) -> TokenVerifier:
    def fetch(url: str) -> dict:
        if fetches is not None:
            fetches.append(url)
        if url.endswith("/.well-known/openid-configuration"):
            return {"jwks_uri": issuer.url + "/jwks"}
        return issuer.jwks

    return TokenVerifier(issuer.url, AUDIENCE, JWKSCache(issuer.url, fetch_json=fetch))


def test_a_valid_token_gives_its_claims(issuer):
    claims = verifier_for(issuer).verify(issuer.citizen_token(AUDIENCE, sub="abc"))
    assert claims["sub"] == "abc" and claims["acr"] == "eidas1"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"aud": "https://other.example"}, "bad_claims"),
        ({"iss": "https://evil.example"}, "bad_claims"),
        ({"exp": int(time.time()) - 3600}, "expired"),
    ],
)
def test_wrong_claims_are_refused(issuer, change, reason):
    token = issuer.token(AUDIENCE, **change)
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(token)
    assert refused.value.reason == reason


@pytest.mark.parametrize("missing", ["iat", "exp", "sub", "aud", "iss"])
def test_tokens_lacking_a_required_claim_are_refused(issuer, missing):
    body = jwt.get_unverified_claims(issuer.token(AUDIENCE))
    del body[missing]
    token = jwt.encode(body, issuer._pem, algorithm="ES256", headers={"kid": issuer.kid})
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(token)
    # counted as what it is in the metrics, not as a forged signature
    assert refused.value.reason == "bad_claims"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused(issuer):
    body = jwt.get_unverified_claims(issuer.token(AUDIENCE))
    token = f"{_b64({'alg': 'none', 'kid': issuer.kid})}.{_b64(body)}."
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(token)
    assert refused.value.reason == "bad_algorithm"


def test_hs256_signed_with_the_public_key_is_refused(issuer):
    public_pem = json.dumps(issuer.jwks["keys"][0])
    token = jwt.encode(
        jwt.get_unverified_claims(issuer.token(AUDIENCE)),
        public_pem,
        algorithm="HS256",
        headers={"kid": issuer.kid},
    )
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(token)
    assert refused.value.reason == "bad_algorithm"


def test_a_token_signed_by_another_key_is_refused(issuer):
    impostor = TestIssuer()
    impostor.kid = issuer.kid  # same kid, different key
    impostor.url = issuer.url
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(impostor.token(AUDIENCE))
    assert refused.value.reason == "bad_signature"


def test_garbage_is_refused(issuer):
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify("not-a-jwt")
    assert refused.value.reason == "malformed"


def test_keys_are_cached_and_refetched_on_an_unknown_kid(issuer, monkeypatch):
    fetches: list[str] = []
    verifier = verifier_for(issuer, fetches)
    verifier.verify(issuer.token(AUDIENCE))
    verifier.verify(issuer.token(AUDIENCE))
    assert len([u for u in fetches if u.endswith("/jwks")]) == 1
    # the issuer rotates its key: the verifier fetches the JWKS again for the new kid
    rotated = TestIssuer()
    rotated.url = issuer.url
    issuer.jwks = {"keys": issuer.jwks["keys"] + rotated.jwks["keys"]}
    monkeypatch.setattr("shared.auth.JWKS_MIN_REFETCH_SECONDS", 0.0)
    assert verifier.verify(rotated.token(AUDIENCE))["iss"] == issuer.url
    assert len([u for u in fetches if u.endswith("/jwks")]) == 2


def test_unknown_kids_cannot_hammer_the_issuer(issuer):
    fetches: list[str] = []
    verifier = verifier_for(issuer, fetches)
    verifier.verify(issuer.token(AUDIENCE))
    stranger = TestIssuer()
    stranger.url = issuer.url
    for _ in range(5):
        with pytest.raises(TokenInvalid):
            verifier.verify(stranger.token(AUDIENCE))
    assert len([u for u in fetches if u.endswith("/jwks")]) == 1


def test_keys_can_be_fetched_from_an_internal_address(issuer):
    fetched: list[str] = []

    def fetch(url: str) -> dict:
        fetched.append(url)
        if url.endswith("/.well-known/openid-configuration"):
            return {"jwks_uri": issuer.url + "/jwks"}
        return issuer.jwks

    cache = JWKSCache(issuer.url, fetch_json=fetch, fetch_base="http://identity.internal:8001")
    TokenVerifier(issuer.url, AUDIENCE, cache).verify(issuer.token(AUDIENCE))
    assert fetched == [
        "http://identity.internal:8001/.well-known/openid-configuration",
        "http://identity.internal:8001/jwks",
    ]
