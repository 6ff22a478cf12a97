"""The whole hub, started as `make run` starts it (`hub up`), on this run's databases and vhost."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests

from shared.testing import free_port, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
HUB = [sys.executable, "-m", "hub"]


@pytest.fixture
def hub(hub_env: dict[str, str], tmp_path: Path) -> Iterator[Hub]:
    env = {**os.environ, **hub_env, "HUB_LOG_LEVEL": "INFO"}
    subprocess.run([*HUB, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=ROOT)  # noqa: S603
    log_path = tmp_path / "hub.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*HUB, "up"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )  # noqa: S603
        hub = Hub(env, process, log_path)
        try:
            for name in ("IDENTITY", "PETITIONS", "NOTIFICATIONS", "MOCK_IDP", "TRANSPARENCY"):
                wait_for_http(env[f"{name}_PUBLIC_URL"] + "/healthz", timeout=60)
            yield hub
        finally:
            hub.stop()


class Hub:
    def __init__(
        self, env: dict[str, str], process: subprocess.Popen[bytes], log_path: Path
    ) -> None:
        self.env = env
        self.process = process
        self.log_path = log_path
        self.exit_code: int | None = None

    def url(self, process: str) -> str:
        return self.env[f"{process.upper().replace('-', '_')}_PUBLIC_URL"]

    def cli(self, *args: str) -> dict[str, Any]:
        result = subprocess.run(
            [*HUB, *args], env=self.env, capture_output=True, text=True, cwd=ROOT, timeout=60
        )  # noqa: S603
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def stop(self) -> int:
        """Ctrl-C, as a person at the terminal would; every child must stop."""
        if self.exit_code is None:
            self.process.send_signal(signal.SIGINT)
            self.exit_code = self.process.wait(timeout=60)
        return self.exit_code

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class WebhookReceiver:
    """An agency's endpoint on loopback: verifies Standard Webhooks signatures, keeps arrivals."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.secret: str | None = None
        self.received: list[dict[str, Any]] = []
        self.rejected: list[str] = []

    def __enter__(self) -> WebhookReceiver:
        from standardwebhooks.webhooks import Webhook

        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    Webhook(receiver.secret).verify(body, dict(self.headers))
                except Exception as exc:  # noqa: BLE001 - record any verification failure
                    receiver.rejected.append(str(exc))
                    self.send_response(400)
                    self.end_headers()
                    return
                receiver.received.append({"headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.received if predicate(m["body"])]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(
            f"no matching delivery in {timeout}s; got "
            f"{[m['body'].get('type') for m in self.received]}"
        )


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def citizen_login(
    hub: Hub, client: dict[str, Any], identity: str, scope: str = "openid petitions"
) -> dict[str, Any]:
    """A citizen signs in through a service provider: code flow + PKCE, via the mock IdP."""
    config = requests.get(
        hub.url("identity") + "/.well-known/openid-configuration", timeout=10
    ).json()
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    redirect_uri = client["redirect_uris"][0]
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "acr_values": "eidas1",
        "idp_hint": "mock",
        "login_hint": identity,
    }
    browser = requests.Session()
    url = config["authorization_endpoint"] + "?" + urlencode(query)
    for _ in range(10):  # follow the browser's redirects until it comes back to the client
        if url.startswith(redirect_uri):
            break
        response = browser.get(url, allow_redirects=False, timeout=10)
        assert response.status_code in (302, 303), (
            f"{url}: {response.status_code} {response.text[:300]}"
        )
        url = urljoin(url, response.headers["Location"])
    params = parse_qs(urlsplit(url).query)
    assert params.get("state") == [state], params
    token = requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "redirect_uri": redirect_uri,
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    return token.json()


def client_credentials(hub: Hub, client: dict[str, Any], scope: str) -> str:
    config = requests.get(
        hub.url("identity") + "/.well-known/openid-configuration", timeout=10
    ).json()
    response = requests.post(
        config["token_endpoint"],
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]
