"""Citizens with real tokens: authorization code + PKCE through the identity service and the mock
identity provider (``login_hint``), as a browser and a service provider would; operators' and
agencies' client_credentials tokens; petitions created by a citizen and published by an operator.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import eventlet

from bench.http import Connections, CookieJar


class LoginFailed(RuntimeError):
    pass


def discovery(identity_url: str) -> dict[str, Any]:
    conns = Connections()
    try:
        return conns.get(identity_url + "/.well-known/openid-configuration").json()
    finally:
        conns.close()


def citizen_login(
    conns: Connections, config: dict[str, Any], client: dict[str, Any], identity: str
) -> dict[str, Any]:
    """One federated login; the token endpoint's answer (access_token for aud petitions)."""
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    redirect_uri = client["redirect_uris"][0]
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": redirect_uri,
        "scope": "openid petitions",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "acr_values": "eidas1",
        "idp_hint": "mock",
        "login_hint": identity,
    }
    jar = CookieJar()
    url = config["authorization_endpoint"] + "?" + urlencode(query)
    for _ in range(10):  # follow the browser's redirects until it comes back to the client
        if url.startswith(redirect_uri):
            break
        response = conns.get(url, headers=jar.header())
        jar.update(response.cookies)
        if response.status not in (302, 303):
            raise LoginFailed(f"{url}: {response.status} {response.body[:300]!r}")
        url = urljoin(url, response.headers["location"])
    params = parse_qs(urlsplit(url).query)
    if params.get("state") != [state] or "code" not in params:
        raise LoginFailed(f"no code came back: {url}")
    form = urlencode(
        {
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "redirect_uri": redirect_uri,
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "code_verifier": verifier,
        }
    )
    token = conns.post_form(config["token_endpoint"], form)
    if token.status != 200:
        raise LoginFailed(f"token endpoint: {token.status} {token.body[:300]!r}")
    return token.json()


def login_all(
    config: dict[str, Any], client: dict[str, Any], identities: list[str], concurrency: int
) -> tuple[list[str], float, list[str]]:
    """Log every identity in, ``concurrency`` browsers at a time.

    Returns the access tokens (in the order of ``identities``), the logins per second over the
    whole batch, and the errors met (a failed login is retried once, then reported).
    """
    tokens: list[str | None] = [None] * len(identities)
    errors: list[str] = []
    todo = iter(range(len(identities)))

    def browser() -> None:
        conns = Connections()
        try:
            for i in todo:
                for attempt in (0, 1):
                    try:
                        tokens[i] = citizen_login(conns, config, client, identities[i])[
                            "access_token"
                        ]
                        break
                    except Exception as exc:  # noqa: BLE001 - counted and reported
                        conns.close()
                        if attempt:
                            errors.append(f"{identities[i]}: {exc}")
        finally:
            conns.close()

    started = time.perf_counter()
    pool = eventlet.GreenPool(concurrency)
    for _ in range(concurrency):
        pool.spawn(browser)
    pool.waitall()
    elapsed = time.perf_counter() - started
    done = [t for t in tokens if t]
    return done, len(done) / elapsed if elapsed else 0.0, errors


def client_credentials(config: dict[str, Any], client: dict[str, Any], scope: str) -> str:
    conns = Connections()
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    try:
        response = conns.post_form(
            config["token_endpoint"],
            urlencode({"grant_type": "client_credentials", "scope": scope}),
            headers={"Authorization": f"Basic {basic}"},
        )
    finally:
        conns.close()
    if response.status != 200:
        raise RuntimeError(f"client_credentials ({scope}): {response.status} {response.body!r}")
    return response.json()["access_token"]


def open_petitions(
    petitions_url: str, author_token: str, operator_token: str, count: int, label: str
) -> list[str]:
    """``count`` petitions created by a citizen and published by an operator; their ids."""
    ids: list[str] = []

    def one(n: int) -> None:
        conns = Connections()
        try:
            created = conns.post_json(
                f"{petitions_url}/api/petitions",
                {
                    "title": f"Bench petition {label} {n}",
                    "text": "A petition the benchmark signs with many distinct citizens.",
                },
                headers={"Authorization": f"Bearer {author_token}"},
            )
            if created.status != 201:
                raise RuntimeError(f"creating a petition: {created.status} {created.body!r}")
            petition_id = created.json()["id"]
            published = conns.post_json(
                f"{petitions_url}/api/petitions/{petition_id}/moderation",
                {"decision": "publish"},
                headers={"Authorization": f"Bearer {operator_token}"},
            )
            if published.status != 200:
                raise RuntimeError(f"publishing: {published.status} {published.body!r}")
            ids.append(petition_id)
        finally:
            conns.close()

    pool = eventlet.GreenPool(8)
    for result in pool.imap(one, range(count)):
        del result
    return ids


AGENCY_RATE_LIMIT = 1000


def subscribe(notifications_url: str, agency_token: str, url: str, types: list[str]) -> str:
    """The agency subscribes ``url``; returns the subscription's signing secret."""
    conns = Connections()
    try:
        response = conns.post_json(
            f"{notifications_url}/api/subscriptions",
            # NOTE: the default of 20 deliveries/s protects an agency's endpoint; this agency
            # follows the count of every petition being signed (one event per petition and second,
            # dozens of petitions at once), so it asks for more, as such an agency would.
            {"url": url, "event_types": types, "rate_limit": AGENCY_RATE_LIMIT},
            headers={"Authorization": f"Bearer {agency_token}"},
        )
    finally:
        conns.close()
    if response.status != 201:
        raise RuntimeError(f"subscribing: {response.status} {response.body!r}")
    return response.json()["secret"]
