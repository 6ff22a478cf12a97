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
    monkeypatch.setattr(upstream.http, "get", lambda *a, **k: FakeResponse(signed(upstream, body)))
    upstream._metadata["userinfo_endpoint"] = ISSUER + "/userinfo"
    with pytest.raises(UpstreamRejected, match="userinfo sub differs"):
        upstream.userinfo("access-token", "s")
    monkeypatch.setattr(
        upstream.http, "get", lambda *a, **k: FakeResponse(signed(upstream, claims()))
    )
    assert upstream.userinfo("access-token", "s")["sub"] == "s"


def test_userinfo_must_be_a_signed_jwt(upstream, monkeypatch):
    response = FakeResponse('{"sub": "s"}')
    response.headers = {"Content-Type": "application/json"}
    monkeypatch.setattr(upstream.http, "get", lambda *a, **k: response)
    upstream._metadata["userinfo_endpoint"] = ISSUER + "/userinfo"
    with pytest.raises(UpstreamRejected, match="not a signed JWT"):
        upstream.userinfo("access-token", "s")


def test_the_back_channel_session_keeps_no_cookie_and_reads_the_environment_once(
    upstream, monkeypatch
):
    """One session serves every citizen's login: a provider's cookie must never be sent back,
    and ~/.netrc must never replace the userinfo Bearer header."""
    import requests

    session = upstream.http
    assert session.trust_env is False
    response = requests.Response()
    response.headers["Set-Cookie"] = "tracking=citizen-a; Path=/"
    response.url = ISSUER + "/token"
    request = requests.Request("POST", ISSUER + "/token").prepare()
    session.cookies.extract_cookies(
        _CookieResponse(response), requests.cookies.MockRequest(request)
    )
    assert len(session.cookies) == 0
    later = session.prepare_request(requests.Request("GET", ISSUER + "/userinfo"))
    assert "Cookie" not in later.headers
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    fresh = UpstreamClient(PROVIDER, "https://hub.example")
    assert fresh._proxies_for(ISSUER + "/token") == {"https": "http://proxy.example:3128"}
    monkeypatch.setenv("NO_PROXY", "idp.example")
    assert UpstreamClient(PROVIDER, "https://hub.example")._proxies_for(ISSUER + "/x") == {}


class _CookieResponse:
    """What http.cookiejar needs of a response (requests adapts urllib3's the same way)."""

    def __init__(self, response):
        self._response = response

    def info(self):
        import email.message

        message = email.message.Message()
        for name, value in self._response.headers.items():
            message[name] = value
        return message


def test_the_token_request_authenticates_the_hub_and_sends_the_pkce_verifier(upstream, monkeypatch):
    sent = {}

    class TokenResponse:
        status_code = 200

        def json(self):
            return {"access_token": "at", "id_token": "a.b.c", "token_type": "Bearer"}

    def post(url, data=None, headers=None, **kwargs):
        sent.update(url=url, data=data, headers=headers, **kwargs)
        return TokenResponse()

    monkeypatch.setattr(upstream.http, "post", post)
    upstream._metadata["token_endpoint"] = ISSUER + "/token"
    assert upstream.exchange("the-code", "v" * 43)["access_token"] == "at"
    from urllib.parse import parse_qs

    form = parse_qs(sent["data"])
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["the-code"]
    assert form["code_verifier"] == ["v" * 43]
    assert form["redirect_uri"] == ["https://hub.example/oidc-callback/idp"]
    assert form["client_id"] == ["hub"] and form["client_secret"] == ["secret"]
    assert sent["timeout"] == PROVIDER.timeout_seconds


@pytest.mark.parametrize(
    ("status", "body", "refusal"),
    [
        (400, {"error": "invalid_grant"}, UpstreamRejected),
        (500, None, rp.UpstreamUnavailable),
        (200, ["not", "an", "object"], rp.UpstreamUnavailable),
        (200, {"access_token": "at"}, UpstreamRejected),  # no id_token
    ],
)
def test_token_endpoint_refusals(upstream, monkeypatch, status, body, refusal):
    import requests

    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode() if body is not None else b"<html>"
    response.url = ISSUER + "/token"
    monkeypatch.setattr(upstream.http, "post", lambda *a, **k: response)
    upstream._metadata["token_endpoint"] = ISSUER + "/token"
    with pytest.raises(refusal):
        upstream.exchange("the-code", "v" * 43)
