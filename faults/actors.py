"""Who drives the hub in the fault tests: generated test citizens (a MOCK_IDP_IDENTITIES file),
their federated logins, operators' and agencies' tokens, and agencies' webhook receivers that
can be taken down and brought back on the same port.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import secrets
import string
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
import yaml

from shared.testing import free_port

# Test identities' names carry this marker, so that a grep of logs, metrics and agency events
# for personal data finds them wherever they leak (and nothing else).
NAME_MARKER = "Zqx"


@dataclass(frozen=True)
class Person:
    key: str
    given_name: str
    family_name: str
    birthdate: str
    email: str

    def personal_data(self) -> list[str]:
        return [self.given_name, self.family_name, self.birthdate, self.email]


def _letters(n: int) -> str:
    out = ""
    n += 26 * 26  # at least three letters
    while n:
        n, r = divmod(n, 26)
        out = string.ascii_lowercase[r] + out
    return out


def write_identities(path: Path, count: int, seed: int = 7) -> list[Person]:
    """``count`` adult citizens at eidas1, with unmistakable names; the YAML for the mock."""
    rng = random.Random(seed)  # noqa: S311 - test data
    people = []
    entries: dict[str, Any] = {}
    for i in range(count):
        tag = _letters(i)
        person = Person(
            key=f"faultcitizen.{tag}",
            given_name=f"{NAME_MARKER}given{tag.capitalize()}",
            family_name=f"{NAME_MARKER.upper()}FAMILY{tag.upper()}",
            birthdate=(
                f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            ),
            email=f"{NAME_MARKER.lower()}.{tag}@example.org",
        )
        people.append(person)
        entries[person.key] = {
            "label": f"fault-test citizen {tag}",
            "acr": "eidas1",
            "given_name": person.given_name,
            "family_name": person.family_name,
            "birthdate": person.birthdate,
            "gender": rng.choice(["male", "female"]),
            "birthplace": "75056",
            "birthcountry": "99100",
            "email": person.email,
            "preferred_username": "",
        }
    path.write_text(yaml.safe_dump({"identities": entries}, allow_unicode=True))
    return people


def discovery(identity_url: str) -> dict[str, Any]:
    response = requests.get(identity_url + "/.well-known/openid-configuration", timeout=10)
    response.raise_for_status()
    return response.json()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_code(
    identity_url: str, client: dict[str, Any], login_hint: str, scope: str = "openid petitions"
) -> tuple[str, str, dict[str, Any]]:
    """Follow the browser's redirects through the mock provider; (code, verifier, discovery)."""
    config = discovery(identity_url)
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    redirect_uri = client["redirect_uris"][0]
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "acr_values": "eidas1",
        "idp_hint": "mock",
        "login_hint": login_hint,
    }
    browser = requests.Session()
    url = config["authorization_endpoint"] + "?" + urlencode(query)
    for _ in range(10):
        if url.startswith(redirect_uri):
            break
        response = browser.get(url, allow_redirects=False, timeout=15)
        if response.status_code not in (302, 303):
            raise RuntimeError(f"login: {url}: {response.status_code} {response.text[:300]}")
        url = urljoin(url, response.headers["Location"])
    params = parse_qs(urlsplit(url).query)
    if params.get("state") != [state] or "code" not in params:
        raise RuntimeError(f"login: no code came back: {url}")
    return params["code"][0], verifier, config


def redeem_code(
    config: dict[str, Any], client: dict[str, Any], code: str, verifier: str
) -> requests.Response:
    return requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client["redirect_uris"][0],
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "code_verifier": verifier,
        },
        timeout=15,
    )


def citizen_token(identity_url: str, client: dict[str, Any], login_hint: str) -> str:
    code, verifier, config = authorize_code(identity_url, client, login_hint)
    response = redeem_code(config, client, code, verifier)
    if response.status_code != 200:
        raise RuntimeError(f"token endpoint: {response.status_code} {response.text[:300]}")
    return str(response.json()["access_token"])


def client_token(identity_url: str, client: dict[str, Any], scope: str) -> str:
    config = discovery(identity_url)
    response = requests.post(
        config["token_endpoint"],
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(client["client_id"], client["client_secret"]),
        timeout=15,
    )
    if response.status_code != 200:
        raise RuntimeError(f"client_credentials: {response.status_code} {response.text[:300]}")
    return str(response.json()["access_token"])


def unverified_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Arrival:
    webhook_id: str
    body: dict[str, Any]
    at: float


@dataclass
class WebhookReceiver:
    """An agency's endpoint on loopback: verifies signatures, keeps arrivals, can go down."""

    name: str
    port: int = field(default_factory=free_port)
    secret: str | None = None
    arrivals: list[Arrival] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    refused_while_down: int = 0

    def __post_init__(self) -> None:
        self.url = f"http://127.0.0.1:{self.port}/hooks/{self.name}"
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def up(self) -> None:
        from standardwebhooks.webhooks import Webhook

        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    Webhook(receiver.secret).verify(body, dict(self.headers))
                    payload = json.loads(body)
                except Exception as exc:  # noqa: BLE001 - record any verification failure
                    with receiver._lock:
                        receiver.rejected.append(str(exc))
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.arrivals.append(
                        Arrival(self.headers["webhook-id"], payload, time.monotonic())
                    )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        deadline = time.monotonic() + 30
        while True:  # the port may linger a moment after the last shutdown
            try:
                self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> Counter[str]:
        with self._lock:
            return Counter(a.webhook_id for a in self.arrivals)

    def bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [a.body for a in self.arrivals]
