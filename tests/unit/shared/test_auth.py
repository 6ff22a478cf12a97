"""The shared access-token verifier: every refusal branch, and the JWKS cache."""

from __future__ import annotations

import base64
import json
import time

import pytest
from jose import jws, jwt

from shared import key_refetch
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


def at_header(issuer: TestIssuer) -> dict:
    return {"kid": issuer.kid, "typ": "at+jwt"}


def at_now(change: dict) -> dict:
    """Times given as offsets (numbers) become NumericDates from now; other values stay."""
    now = time.time()
    times = {"exp", "iat", "nbf"}
    return {
        k: now + v if k in times and isinstance(v, int | float) and not isinstance(v, bool) else v
        for k, v in change.items()
    }


def test_a_valid_token_gives_its_claims(issuer):
    claims = verifier_for(issuer).verify(issuer.citizen_token(AUDIENCE, sub="abc"))
    assert claims["sub"] == "abc" and claims["acr"] == "eidas1"


# Times are offsets from the moment the test runs (not the moment the module is collected).
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"aud": "https://other.example"}, "bad_claims"),
        ({"aud": ["https://other.example", "https://third.example"]}, "bad_claims"),
        ({"aud": [AUDIENCE, 7]}, "bad_claims"),
        ({"aud": {"aud": AUDIENCE}}, "bad_claims"),
        ({"iss": "https://evil.example"}, "bad_claims"),
        ({"exp": -3600}, "expired"),
        ({"exp": -31}, "expired"),  # just beyond the leeway
        ({"exp": str(2**31)}, "bad_claims"),  # a NumericDate is a number, not a string
        ({"exp": None}, "bad_claims"),
        ({"iat": 3600}, "bad_claims"),  # issued in the future
        ({"iat": True}, "bad_claims"),
        ({"nbf": 3600}, "bad_claims"),  # not yet valid
        ({"sub": 12345}, "bad_claims"),
        ({"jti": 12345}, "bad_claims"),
        ({"at_hash": "aGFzaA"}, "bad_claims"),  # an ID token is not an access token
    ],
)
def test_wrong_claims_are_refused(issuer, change, reason):
    token = issuer.token(AUDIENCE, **at_now(change))
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(token)
    assert refused.value.reason == reason


@pytest.mark.parametrize("missing", ["iat", "exp", "sub", "aud", "iss"])
def test_tokens_lacking_a_required_claim_are_refused(issuer, missing):
    body = jwt.get_unverified_claims(issuer.token(AUDIENCE))
    del body[missing]
    token = jwt.encode(body, issuer._pem, algorithm="ES256", headers=at_header(issuer))
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(token)
    # counted as what it is in the metrics, not as a forged signature
    assert refused.value.reason == "bad_claims"


@pytest.mark.parametrize(
    "change",
    [
        {"aud": ["https://other.example", AUDIENCE]},
        {"exp": -10},  # within the leeway: the clocks drift a little
        {"iat": 10},
        {"nbf": 10},
        {"exp": 300.5, "iat": 0.5},  # NumericDates may be fractional
    ],
)
def test_tokens_within_the_rules_are_accepted(issuer, change):
    claims = verifier_for(issuer).verify(issuer.token(AUDIENCE, **at_now(change)))
    assert claims["iss"] == issuer.url


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt", "Application/At+JWT"])
def test_the_access_token_types_of_rfc_9068_are_accepted(issuer, typ):
    claims = verifier_for(issuer).verify(issuer.token(AUDIENCE, typ=typ))
    assert claims["iss"] == issuer.url


@pytest.mark.parametrize("typ", ["JWT", "jwt", "logout+jwt", "at+jwt ", "", None, 7])
def test_a_token_not_typed_as_an_access_token_is_refused(issuer, typ):
    """RFC 9068 4: an ID token or any other JWT of the issuer never passes for an access token."""
    if typ is None:  # python-jose always writes a typ: the header by hand, without one
        _header, body, signature = issuer.token(AUDIENCE).split(".")
        token = f"{_b64({'alg': 'ES256', 'kid': issuer.kid})}.{body}.{signature}"
    else:  # signed as it is: a valid signature does not make it an access token
        token = issuer.token(AUDIENCE, typ=typ)
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(token)
    assert refused.value.reason == "bad_type"


def test_every_refusal_is_counted_with_its_reason(issuer):
    reasons: list[str] = []
    verifier = verifier_for(issuer)
    verifier._on_failure = reasons.append
    for token in ["not-a-jwt", issuer.token("https://other.example")]:
        with pytest.raises(TokenInvalid):
            verifier.verify(token)
    assert reasons == ["malformed", "bad_claims"]


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


@pytest.mark.parametrize("alg", ["HS256", "HS512", "ES384", "PS256", "none", "None", ""])
def test_algorithms_outside_the_allow_list_are_refused(issuer, alg):
    _header, body, signature = issuer.token(AUDIENCE).split(".")
    token = f"{_b64({'alg': alg, 'kid': issuer.kid})}.{body}.{signature}"
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(token)
    assert refused.value.reason == "bad_algorithm"


def test_rs256_named_in_the_header_of_an_es256_key_is_refused(issuer):
    _header, body, signature = issuer.token(AUDIENCE).split(".")
    token = f"{_b64({'alg': 'RS256', 'typ': 'at+jwt', 'kid': issuer.kid})}.{body}.{signature}"
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(token)
    assert refused.value.reason == "bad_algorithm"  # the JWK says ES256


def test_a_token_without_kid_is_refused(issuer):
    _header, body, signature = issuer.token(AUDIENCE).split(".")
    token = f"{_b64({'alg': 'ES256', 'typ': 'at+jwt'})}.{body}.{signature}"
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(token)
    assert refused.value.reason == "no_kid"


def test_a_token_naming_an_unknown_kid_is_refused(issuer):
    stranger = TestIssuer()
    stranger.url = issuer.url
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(stranger.token(AUDIENCE))
    assert refused.value.reason == "unknown_kid"


def test_claims_changed_after_signing_are_refused(issuer):
    header, body, signature = issuer.token(AUDIENCE).split(".")
    claims = jwt.get_unverified_claims(issuer.token(AUDIENCE))
    forged = f"{header}.{_b64({**claims, 'sub': 'someone-else'})}.{signature}"
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(forged)
    assert refused.value.reason == "bad_signature"


def test_a_signature_of_another_token_is_refused(issuer):
    header, body, _signature = issuer.token(AUDIENCE).split(".")
    other_signature = issuer.token(AUDIENCE).split(".")[2]
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(f"{header}.{body}.{other_signature}")
    assert refused.value.reason == "bad_signature"


def test_signed_claims_that_are_not_a_json_object_are_refused(issuer):
    token = jws.sign(b'["not", "an", "object"]', issuer._pem, at_header(issuer), "ES256")
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(token)
    assert refused.value.reason == "bad_claims"


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        "a.b",
        "a.b.c.d",
        "....",
        "",
        "é.é.é",
        "!!!.e30.AA",  # header not base64url
        f"{_b64({'alg': 'ES256'})[:-1]}x.e30.AA",
        "W10.e30.AA",  # header is a JSON list
        "bnVsbA.e30.AA",  # header is null
    ],
)
def test_garbage_is_refused(issuer, token):
    with pytest.raises(TokenInvalid) as refused:
        verifier_for(issuer).verify(token)
    assert refused.value.reason == "malformed"


def test_a_key_replaced_under_the_same_kid_is_built_again(issuer, monkeypatch):
    """The constructed keys are cached per kid, but never outlive the JWK they came from."""
    verifier = verifier_for(issuer)
    verifier.verify(issuer.token(AUDIENCE))
    successor = TestIssuer()
    successor.kid, successor.url = issuer.kid, issuer.url
    issuer.jwks = {"keys": [{**successor.jwks["keys"][0], "kid": issuer.kid}]}
    verifier.jwks._refresh_for("a-kid-never-seen")
    assert verifier.verify(successor.token(AUDIENCE))["iss"] == issuer.url
    with pytest.raises(TokenInvalid) as refused:
        verifier.verify(issuer.token(AUDIENCE))
    assert refused.value.reason == "bad_signature"


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
    assert verifier.verify(rotated.token(AUDIENCE))["iss"] == issuer.url
    assert len([u for u in fetches if u.endswith("/jwks")]) == 2


def test_unknown_kids_cannot_hammer_the_issuer(issuer):
    """A kid never seen is looked for at once, the same one again not; invented kids by the
    dozen cost a few fetches only."""
    fetches: list[str] = []
    verifier = verifier_for(issuer, fetches)
    verifier.verify(issuer.token(AUDIENCE))
    stranger = TestIssuer()
    stranger.url = issuer.url
    for _ in range(5):
        with pytest.raises(TokenInvalid):
            verifier.verify(stranger.token(AUDIENCE))
    assert len([u for u in fetches if u.endswith("/jwks")]) == 2
    for n in range(30):
        stranger.kid = f"invented-{n}"
        with pytest.raises(TokenInvalid):
            verifier.verify(stranger.token(AUDIENCE))
    assert len([u for u in fetches if u.endswith("/jwks")]) <= 2 + key_refetch.BURST


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
