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

from services.identity.adapters import relying_party as rp
from services.identity.adapters.back_channel import Answer, BackChannel
from services.identity.adapters.relying_party import UpstreamClient, UpstreamRejected
from shared.upstreams import UpstreamProvider

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


def test_an_unknown_kid_is_refused(upstream, monkeypatch):
    fetched = []
    jwks = {"keys": [{**upstream.signing_key.as_dict(private=False), "kid": "k1"}]}
    monkeypatch.setattr(rp, "_get_json", lambda url, timeout: fetched.append(url) or jwks)
    for _ in range(3):
        with pytest.raises(UpstreamRejected, match="unknown kid"):
            upstream.verify_id_token(signed(upstream, claims(), kid="k2"), NONCE, "eidas1")
    assert fetched == [ISSUER + "/jwks"]  # looked for once; the same kid again waits


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
    token = signed(upstream, claims(), kid="k2", key=rotated)
    assert upstream.verify_id_token(token, NONCE, "eidas1")["sub"] == "s"
    assert fetched == [ISSUER + "/jwks"]


def FakeResponse(text, content_type="application/jwt", status=200):  # noqa: N802
    return Answer(status, content_type, text.encode())


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
    response = FakeResponse('{"sub": "s"}', "application/json")
    monkeypatch.setattr(upstream.http, "get", lambda *a, **k: response)
    upstream._metadata["userinfo_endpoint"] = ISSUER + "/userinfo"
    with pytest.raises(UpstreamRejected, match="not a signed JWT"):
        upstream.userinfo("access-token", "s")


def test_the_back_channel_keeps_no_cookie_nor_netrc_and_follows_no_redirect(tmp_path, monkeypatch):
    """One pool serves every citizen's login: a provider's cookie is never sent back, ~/.netrc
    never replaces the userinfo Bearer header, and a redirect is answered, not followed."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password theirs\n")
    monkeypatch.setenv("NETRC", str(netrc))
    with _RecordingServer() as server:
        channel = BackChannel(timeout=5)
        first = channel.post(server.url + "/token", "a=b", {"Content-Type": "text/plain"})
        second = channel.get(server.url + "/userinfo", {"Authorization": "Bearer at"})
        moved = channel.get(server.url + "/moved", {})
    assert first.status == 200 and first.json() == {"path": "/token"}
    assert second.content_type == "application/json"
    assert server.seen[0]["body"] == b"a=b"
    assert "Cookie" not in server.seen[1]["headers"]
    assert server.seen[1]["headers"]["Authorization"] == "Bearer at"
    assert moved.status == 302 and len(server.seen) == 3


def test_the_back_channel_goes_through_the_environments_proxy(monkeypatch):
    """An HTTP proxy gets the absolute URL (the PoolManager's form), not the bare path that
    endpoints reached directly are sent."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with _RecordingServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        channel = BackChannel(timeout=5)
        for _ in range(2):  # the second call takes the kept pool too
            answer = channel.post("http://idp.invalid/token?x=1", "a=b", {})
            assert answer.json() == {"path": "http://idp.invalid/token?x=1"}
    with _RecordingServer() as server:
        monkeypatch.delenv("HTTP_PROXY")
        direct = BackChannel(timeout=5).get(server.url + "/userinfo?x=1", {})
        assert direct.json() == {"path": "/userinfo?x=1"}


def test_the_back_channel_reads_proxies_once_per_host(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    fresh = UpstreamClient(PROVIDER, "https://hub.example")
    assert fresh._proxies_for(ISSUER + "/token") == {"https": "http://proxy.example:3128"}
    monkeypatch.setenv("NO_PROXY", "idp.example")
    assert fresh._proxies_for(ISSUER + "/token") == {"https": "http://proxy.example:3128"}
    assert UpstreamClient(PROVIDER, "https://hub.example")._proxies_for(ISSUER + "/x") == {}


def test_an_unreachable_provider_is_unavailable(upstream):
    from services.identity.adapters.back_channel import BackChannelError

    with pytest.raises(BackChannelError):
        BackChannel(timeout=1).get("http://127.0.0.1:9/userinfo", {})
    upstream._metadata["token_endpoint"] = "http://127.0.0.1:9/token"
    with pytest.raises(rp.UpstreamUnavailable):
        upstream.exchange("the-code", "v" * 43)


class _RecordingServer:
    """A local HTTP server that sets a cookie on every answer and records what it was sent."""

    def __enter__(self):
        import http.server
        import threading

        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                seen.append({"headers": dict(self.headers), "body": self.rfile.read(length)})
                if self.path == "/moved":
                    self.send_response(302)
                    self.send_header("Location", "/token")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"path": self.path}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Set-Cookie", "tracking=citizen-a; Path=/")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_the_token_request_authenticates_the_hub_and_sends_the_pkce_verifier(upstream, monkeypatch):
    sent = {}

    def post(url, body, headers):
        sent.update(url=url, data=body, headers=headers)
        answer = {"access_token": "at", "id_token": "a.b.c", "token_type": "Bearer"}
        return Answer(200, "application/json", json.dumps(answer).encode())

    monkeypatch.setattr(upstream.http, "post", post)
    upstream._metadata["token_endpoint"] = ISSUER + "/token"
    assert upstream.exchange("the-code", "v" * 43)["access_token"] == "at"
    from urllib.parse import parse_qs

    form = parse_qs(sent["data"])
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["the-code"]
    assert form["code_verifier"] == ["v" * 43]
    assert form["redirect_uri"] == ["https://hub.example/oidc-callback/idp"]
    assert form["client_id"] == ["hub"] and form["client_secret"] == ["secret"]
    assert upstream.http.timeout.read_timeout == PROVIDER.timeout_seconds


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
    content = json.dumps(body).encode() if body is not None else b"<html>"
    response = Answer(status, "application/json", content)
    monkeypatch.setattr(upstream.http, "post", lambda *a, **k: response)
    upstream._metadata["token_endpoint"] = ISSUER + "/token"
    with pytest.raises(refusal):
        upstream.exchange("the-code", "v" * 43)
