"""A browser and a client for driving the identity service over real HTTP in tests."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from shared.oidc import s256_challenge


@dataclass
class RegisteredClient:
    client_id: str
    client_secret: str | None
    redirect_uri: str
    scopes: list[str]


@dataclass
class Login:
    """What came back to the client's redirect URI, and what the client had sent."""

    answer: dict[str, str]
    state: str
    nonce: str
    verifier: str
    browser: requests.Session


def authorize_url(
    settings: Any, client: RegisteredClient, pkce: bool = True, **params: str
) -> tuple[str, dict[str, str]]:
    """The authorization URL; with a PKCE challenge (of a verifier thrown away) unless
    ``pkce`` is False or the caller sends its own: the hub refuses requests without one."""
    if pkce:
        params.setdefault("code_challenge", s256_challenge(secrets.token_urlsafe(48)))
        params.setdefault("code_challenge_method", "S256")
    sent = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": "openid petitions",
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "idp_hint": "mock",
        **params,
    }
    return settings.public_url("identity") + "/authorize?" + urlencode(sent), sent


RETURN_LINK = re.compile(r'<a id="return-to-service" href="([^"]+)"')


def return_link(response: requests.Response) -> str | None:
    """The "return to the service" link of the hub's failed sign-in page, if this is one."""
    match = RETURN_LINK.search(response.text) if response.status_code == 200 else None
    return unescape(match.group(1)) if match else None


def follow(
    browser: requests.Session,
    url: str,
    stop_at: str,
    max_hops: int = 10,
    first_is_redirect: bool = False,
) -> requests.Response:
    """Follows redirects like a browser until one points at ``stop_at`` (not fetched)."""
    if first_is_redirect and url.startswith(stop_at):
        response = requests.Response()
        response.status_code = 200
        response.final_url = url  # type: ignore[attr-defined]
        return response
    for _ in range(max_hops):
        response = browser.get(url, allow_redirects=False, timeout=10)
        location = response.headers.get("Location")
        if response.status_code not in (302, 303) or not location:
            return response
        url = urljoin(url, location)
        if url.startswith(stop_at):
            response.final_url = url  # type: ignore[attr-defined]
            return response
    raise AssertionError("too many redirects")


def login(
    settings: Any,
    client: RegisteredClient,
    identity: str = "marie.dupont",
    browser: requests.Session | None = None,
    pkce: bool = True,
    **params: str,
) -> Login:
    browser = browser or requests.Session()
    verifier = secrets.token_urlsafe(48)
    if pkce:
        params = {
            "code_challenge": s256_challenge(verifier),
            "code_challenge_method": "S256",
            **params,
        }
    if identity:
        params.setdefault("login_hint", identity)
    url, sent = authorize_url(settings, client, pkce=pkce, **params)
    response = follow(browser, url, client.redirect_uri)
    back = return_link(response)
    if back:  # a failed sign-in: the citizen reads the page and goes back to the service
        response = follow(browser, back, client.redirect_uri, first_is_redirect=True)
    final = getattr(response, "final_url", None)
    assert final, f"no redirect back to the client: {response.status_code} {response.text[:300]}"
    answer = {k: v[0] for k, v in parse_qs(urlsplit(final).query).items()}
    return Login(answer, sent["state"], sent["nonce"], verifier, browser)


def exchange(
    settings: Any,
    client: RegisteredClient,
    code: str,
    verifier: str | None,
    secret: str | None = None,
    basic: bool = False,
) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri}
    if verifier:
        form["code_verifier"] = verifier
    secret = client.client_secret if secret is None else secret
    auth = None
    if basic:
        auth = (client.client_id, secret)
    else:
        form["client_id"] = client.client_id
        if secret:
            form["client_secret"] = secret
    return requests.post(
        settings.public_url("identity") + "/token", data=form, auth=auth, timeout=10
    )
