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

from services.identity.oidc import relying_party as rp
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
    "overrides,reason",
    [
        ({"iss": "https://other.example"}, "issuer mismatch"),
        ({"aud": "someone-else"}, "not meant for the hub"),
        ({"aud": ["hub", "other"]}, "azp"),  # several audiences without azp
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"iat": None}, "iat missing"),
        ({"sub": None}, "no sub"),
        ({"nonce": "m" * 43}, "nonce"),
        ({"acr": "eidas1"}, "below eidas2"),  # eidas2 is asked for in this case
    ],
)
def test_bad_id_tokens_are_refused_for_their_reason(upstream, overrides, reason):
    """Each case names its check, so the test fails if that one check is removed."""
    minimum = "eidas2" if overrides.get("acr") else "eidas1"
    with pytest.raises(UpstreamRejected, match=reason):
        upstream.verify_id_token(signed(upstream, claims(**overrides)), NONCE, minimum)


def test_a_token_signed_by_another_key_is_refused(upstream):
    other = ECKey.generate_key("P-256", private=True)
    with pytest.raises(UpstreamRejected, match="bad signature"):
        upstream.verify_id_token(signed(upstream, claims(), key=other), NONCE, "eidas1")


def test_an_unknown_kid_is_refused(upstream):
    with pytest.raises(UpstreamRejected, match="unknown kid"):
        upstream.verify_id_token(signed(upstream, claims(), kid="k2"), NONCE, "eidas1")


def _unsigned(header, body, signature=b""):
    def part(data):
        raw = json.dumps(data).encode() if isinstance(data, dict) else data
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part(header)}.{part(body)}.{part(signature)}"


def test_alg_none_is_refused(upstream):
    with pytest.raises(UpstreamRejected, match="algorithm 'none' is not accepted"):
        upstream.verify_id_token(_unsigned({"alg": "none", "kid": "k1"}, claims()), NONCE, "eidas1")


def test_hs256_signed_with_the_public_key_is_refused(upstream):
    public_pem = upstream.signing_key.as_pem(private=False)
    header, body = {"alg": "HS256", "kid": "k1"}, claims()
    token = _unsigned(header, body)
    signing_input = token.rsplit(".", 1)[0].encode()
    mac = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    forged = token.rsplit(".", 1)[0] + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(UpstreamRejected, match="algorithm 'HS256' is not accepted"):
        upstream.verify_id_token(forged, NONCE, "eidas1")


def test_an_unknown_kid_makes_the_client_fetch_the_jwks_again(upstream, monkeypatch):
    """Keys rotate: a token under a new kid is verified once the refetched JWKS has it."""
    rotated = ECKey.generate_key("P-256", private=True)
    jwks = {"keys": [{**rotated.as_dict(private=False), "kid": "k2", "alg": "ES256"}]}
    fetched = []
    monkeypatch.setattr(rp, "_get_json", lambda url, timeout: fetched.append(url) or jwks)
    upstream._keys_fetched_at = 0.0
    token = signed(upstream, claims(), kid="k2", key=rotated)
    assert upstream.verify_id_token(token, NONCE, "eidas1")["sub"] == "s"
    assert fetched == [ISSUER + "/jwks"]


class FakeResponse:
    status_code = 200

    def __init__(self, text):
        self.text = text
        self.headers = {"Content-Type": "application/jwt"}


def test_userinfo_with_another_sub_than_the_id_token_is_refused(upstream, monkeypatch):
    body = claims(sub="somebody-else")
    monkeypatch.setattr(rp.requests, "get", lambda *a, **k: FakeResponse(signed(upstream, body)))
    upstream._metadata["userinfo_endpoint"] = ISSUER + "/userinfo"
    with pytest.raises(UpstreamRejected, match="userinfo sub differs"):
        upstream.userinfo("access-token", "s")
    monkeypatch.setattr(
        rp.requests, "get", lambda *a, **k: FakeResponse(signed(upstream, claims()))
    )
    assert upstream.userinfo("access-token", "s")["sub"] == "s"


def test_userinfo_must_be_a_signed_jwt(upstream, monkeypatch):
    response = FakeResponse('{"sub": "s"}')
    response.headers = {"Content-Type": "application/json"}
    monkeypatch.setattr(rp.requests, "get", lambda *a, **k: response)
    upstream._metadata["userinfo_endpoint"] = ISSUER + "/userinfo"
    with pytest.raises(UpstreamRejected, match="not a signed JWT"):
        upstream.userinfo("access-token", "s")
