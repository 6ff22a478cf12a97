"""The pages as a relying party of the hub's identity service.

Citizens: authorization code with PKCE (RFC 7636, S256) as a confidential client
(``client_secret_basic``); ``state`` and ``nonce`` bound to the browser by a signed cookie;
the ID token verified (OIDC Core 3.1.3.7) before the access token is used. Operators: the
client-credentials grant (RFC 6749 4.4) with their operator client's id and secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from jose import jwk, jwt
from jose.exceptions import JWTError

from services.petitions.domain import ACR_LEVELS, DEFAULT_MIN_ACR, acr_rank
from shared.auth import ALGORITHMS, LEEWAY_SECONDS, JWKSCache, TokenInvalid

HTTP_TIMEOUT_SECONDS = 10.0
DISCOVERY_CACHE_SECONDS = 300.0
CITIZEN_SCOPE = "openid petitions"
OPERATOR_SCOPE = "petitions:moderate"
CALLBACK_PATH = "/auth/callback"
SIGNED_OUT_PATH = "/signed-out"
LOGIN_HINT = re.compile(r"^[A-Za-z0-9._@+-]{1,100}$")


class LoginFailed(Exception):
    """The sign-in cannot complete; ``reason`` picks the message shown to the person."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


@dataclass(frozen=True)
class WebClient:
    """The pages' registration at the identity service."""

    client_id: str
    client_secret: str
    issuer: str  # IDENTITY_PUBLIC_URL: what browsers reach, and the tokens' iss
    base_url: str  # PETITIONS_PUBLIC_URL
    fetch_base: str = ""  # IDENTITY_INTERNAL_URL: what this service reaches (default: issuer)

    @property
    def redirect_uri(self) -> str:
        return self.base_url + CALLBACK_PATH

    @property
    def post_logout_redirect_uri(self) -> str:
        return self.base_url + SIGNED_OUT_PATH

    @property
    def secure(self) -> bool:
        return self.base_url.startswith("https://")


class _Discovery:
    """The identity service's metadata (OIDC Discovery 1.0 section 4), cached a few minutes."""

    def __init__(self) -> None:
        self._found: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def __call__(self, issuer: str, fetch_base: str = "") -> dict[str, Any]:
        with self._lock:
            fetched_at, metadata = self._found.get(issuer, (0.0, {}))
        if time.monotonic() - fetched_at < DISCOVERY_CACHE_SECONDS:
            return metadata
        try:
            response = requests.get(
                f"{fetch_base or issuer}/.well-known/openid-configuration",
                timeout=HTTP_TIMEOUT_SECONDS,
            )
            response.raise_for_status()
            metadata = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise LoginFailed("unavailable", f"identity discovery failed: {exc}") from None
        if metadata.get("issuer") != issuer:  # OIDC Discovery 4.3
            raise LoginFailed("unavailable", "the discovery document names another issuer")
        with self._lock:
            self._found[issuer] = (time.monotonic(), metadata)
        return metadata


discovery = _Discovery()
_jwks_caches: dict[str, JWKSCache] = {}


def start(
    client: WebClient, ui_locale: str, login_hint: str | None = None
) -> tuple[str, dict[str, str]]:
    """The authorization URL (OIDC Core 3.1.2.1) and what the browser must keep to finish."""
    kept = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": secrets.token_urlsafe(64),
    }
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": CITIZEN_SCOPE,
        "state": kept["state"],
        "nonce": kept["nonce"],
        "code_challenge": _s256(kept["verifier"]),
        "code_challenge_method": "S256",
        "acr_values": DEFAULT_MIN_ACR,
        "ui_locales": ui_locale,
    }
    if login_hint and LOGIN_HINT.match(login_hint):
        query["login_hint"] = login_hint  # passed on upstream (the mock provider signs in at once)
    return f"{_endpoint(client, 'authorization_endpoint')}?{urlencode(query)}", kept


@dataclass(frozen=True)
class CitizenTokens:
    access_token: str
    id_token: str
    id_claims: dict[str, Any]


def finish(client: WebClient, kept: dict[str, Any], answer: dict[str, str]) -> CitizenTokens:
    """Check the authorization response (OIDC Core 3.1.2.5-7, RFC 9207), redeem the code."""
    if not hmac.compare_digest(str(kept.get("state", "")), answer.get("state", "")):
        raise LoginFailed("state_mismatch")
    if answer.get("iss") not in (None, client.issuer):  # RFC 9207: mix-up defence
        raise LoginFailed("state_mismatch", "the answer names another issuer")
    if answer.get("error"):
        raise LoginFailed(
            "denied" if answer["error"] == "access_denied" else "refused", answer["error"]
        )
    if not answer.get("code"):
        raise LoginFailed("refused", "no code")
    tokens = _token_request(
        client,
        {
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": client.redirect_uri,
            "code_verifier": str(kept.get("verifier", "")),
        },
    )
    id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
    if not isinstance(id_token, str) or not isinstance(access_token, str):
        raise LoginFailed("refused", "the token response lacks a token")
    claims = verify_id_token(client, id_token, str(kept.get("nonce", "")), access_token)
    return CitizenTokens(access_token, id_token, claims)


def verify_id_token(
    client: WebClient, id_token: str, nonce: str, access_token: str
) -> dict[str, Any]:
    """OIDC Core 3.1.3.7: signature (the shared allow-list), iss, aud, exp, iat, sub; azp,
    nonce, acr; and at_hash (3.1.3.8), which ties the access token to this ID token."""
    claims = _signed_id_claims(client, id_token, access_token)
    if claims.get("azp") not in (None, client.client_id):
        raise LoginFailed("refused", "ID token azp names another client")
    if not nonce or not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise LoginFailed("refused", "ID token nonce mismatch")
    if claims.get("acr") not in ACR_LEVELS or acr_rank(claims["acr"]) < acr_rank(DEFAULT_MIN_ACR):
        raise LoginFailed("refused", "ID token acr below the level asked for")
    return claims


def _signed_id_claims(client: WebClient, id_token: str, access_token: str) -> dict[str, Any]:
    """NOTE: not ``shared.auth.TokenVerifier``: python-jose checks ``at_hash`` only when given
    the access token, and refuses an ID token carrying one otherwise; the verifier takes none."""
    try:
        header = jwt.get_unverified_header(id_token)
        if header.get("alg") not in ALGORITHMS or not isinstance(header.get("kid"), str):
            raise LoginFailed("refused", "ID token algorithm or key not accepted")
        key = jwk.construct(_jwks(client).key(header["kid"]), algorithm=header["alg"])
        return dict(
            jwt.decode(
                id_token,
                key,
                algorithms=ALGORITHMS,
                audience=client.client_id,
                issuer=client.issuer,
                access_token=access_token,
                options={
                    "require_iss": True,
                    "require_aud": True,
                    "require_exp": True,
                    "require_iat": True,
                    "require_sub": True,
                    "require_at_hash": True,
                    "leeway": LEEWAY_SECONDS,
                },
            )
        )
    except (JWTError, TokenInvalid) as exc:
        raise LoginFailed("refused", f"ID token rejected: {exc}") from None


def operator_token(client: WebClient, operator_id: str, operator_secret: str) -> str:
    """An operator's access token for moderation, from their operator client's credentials."""
    tokens = _token_request(
        client,
        {"grant_type": "client_credentials", "scope": OPERATOR_SCOPE},
        auth=(operator_id, operator_secret),
    )
    token = tokens.get("access_token")
    if not isinstance(token, str):
        raise LoginFailed("refused", "no access token")
    return token


def end_session_url(client: WebClient, id_token: str | None) -> str:
    """OIDC RP-Initiated Logout 1.0 section 2; the signed-out page when it cannot be used."""
    try:
        endpoint = discovery(client.issuer, client.fetch_base).get("end_session_endpoint")
    except LoginFailed:
        endpoint = None
    if not endpoint or not id_token:
        return client.post_logout_redirect_uri
    query = {"id_token_hint": id_token, "post_logout_redirect_uri": client.post_logout_redirect_uri}
    return f"{endpoint}?{urlencode(query)}"


def _token_request(
    client: WebClient, form: dict[str, str], auth: tuple[str, str] | None = None
) -> dict[str, Any]:
    endpoint = _endpoint(client, "token_endpoint", from_here=True)
    try:
        response = requests.post(
            endpoint,
            data=form,
            auth=auth or (client.client_id, client.client_secret),  # client_secret_basic
            timeout=HTTP_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        raise LoginFailed("unavailable", f"token endpoint unreachable: {exc}") from None
    if response.status_code in (400, 401):
        raise LoginFailed("refused", f"token endpoint said {response.text[:200]}")
    if response.status_code != 200:
        raise LoginFailed("unavailable", f"token endpoint answered {response.status_code}")
    try:
        return dict(response.json())
    except ValueError:
        raise LoginFailed("unavailable", "the token response is not JSON") from None


def _endpoint(client: WebClient, name: str, from_here: bool = False) -> str:
    """An endpoint from discovery; ``from_here``: as this service reaches it (internal URL)."""
    found = discovery(client.issuer, client.fetch_base).get(name)
    if not isinstance(found, str) or not found.startswith(("https://", "http://")):
        raise LoginFailed("unavailable", f"the identity service publishes no {name}")
    if from_here and client.fetch_base and found.startswith(client.issuer):
        return client.fetch_base + found[len(client.issuer) :]
    return found


def _jwks(client: WebClient) -> JWKSCache:
    found = _jwks_caches.get(client.issuer)
    if found is None:
        found = JWKSCache(client.issuer, fetch_base=client.fetch_base or None)
        _jwks_caches[client.issuer] = found
    return found


def _s256(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
