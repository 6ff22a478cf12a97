"""Test helpers shared by every service's tests: free ports, a small HTTP session, a token issuer.

:class:`TestIssuer` is a real OpenID-style issuer on loopback (discovery and JWKS over HTTP, ES256
tokens) for service tests of petitions and notifications that must not depend on the identity
service; the end-to-end test uses the real identity service instead.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk, jwt


def free_port() -> int:
    """A TCP port nobody listens on now (checked by binding without SO_REUSEPORT)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException as exc:
            last = exc
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


class BaseUrlSession(requests.Session):
    """A requests session whose relative URLs are joined to a base URL (nameko's web_session
    fixture is broken on Werkzeug 3)."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", 10)
        return super().request(method, url, *args, **kwargs)


class TestIssuer:
    """Mints ES256 access tokens and serves discovery + JWKS on a loopback port."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.kid = uuid.uuid4().hex
        self._private = ec.generate_private_key(ec.SECP256R1())
        self._pem = _pem(self._private)
        public = jwk.construct(self._pem, algorithm="ES256").public_key().to_dict()
        key = {**public, "kid": self.kid, "use": "sig", "alg": "ES256"}
        self.jwks: dict[str, Any] = {"keys": [key]}
        self.jwks_requests = 0
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> TestIssuer:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks"}
                elif self.path == "/jwks":
                    issuer.jwks_requests += 1
                    body = issuer.jwks
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def token(
        self,
        audience: str,
        sub: str | None = None,
        ttl: int = 300,
        typ: str = "at+jwt",
        **claims: Any,
    ) -> str:
        now = int(time.time())
        body = {
            "iss": self.url,
            "aud": audience,
            "sub": sub or uuid.uuid4().hex,
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        headers = {"kid": self.kid, "typ": typ}  # RFC 9068: an access token says so
        return jwt.encode(body, self._pem, algorithm="ES256", headers=headers)

    def citizen_token(self, audience: str, sub: str | None = None, **claims: Any) -> str:
        """A citizen's access token; its ``signer`` (identity's, one per person) follows ``sub``
        unless given; ``signer=None`` leaves it out (a token from before the claim)."""
        sub = sub or uuid.uuid4().hex
        claims.setdefault("scope", "openid petitions")
        claims.setdefault("acr", "eidas1")
        claims.setdefault("adult", True)
        claims.setdefault("signer", "signer-" + sub)
        if claims["signer"] is None:
            del claims["signer"]
        return self.token(audience, sub, **claims)


def _pem(private_key: ec.EllipticCurvePrivateKey) -> str:
    from cryptography.hazmat.primitives import serialization

    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
