"""The mock identity provider's logic: a small FranceConnect v2-like OpenID Provider, in memory.

Its clients are the hub's upstream entries whose issuer is the mock's own URL. Codes live 30 s and
are single use; access tokens live 60 s (FranceConnect's lifetimes). What it signs is signed by a
:class:`Signer` (``adapters/jwt.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from services.mock_idp.domain.clients import MockClient
from services.mock_idp.domain.identities import TestIdentity
from shared.oidc import (
    ACR_LEVELS,
    pkce_matches,
    random_token,
    released_claims,
    valid_s256_challenge,
)
from shared.scopes import PIVOT_SCOPES, SCOPE_ALIASES

CODE_TTL_SECONDS = 30
TOKEN_TTL_SECONDS = 60
MIN_STATE_LENGTH = 32  # FranceConnect: state and nonce random, at least 32 characters
PATHS = {
    "authorization_endpoint": "/api/v2/authorize",
    "token_endpoint": "/api/v2/token",
    "userinfo_endpoint": "/api/v2/userinfo",
    "jwks_uri": "/api/v2/jwks",
    "end_session_endpoint": "/api/v2/session/end",
}


class MockError(Exception):
    """An OAuth error; ``redirect``: may it go back to the client (OIDC Core 3.1.2.6)."""

    def __init__(self, error: str, description: str, redirect: bool = False) -> None:
        super().__init__(description)
        self.error, self.description, self.redirect = error, description, redirect


class Signer(Protocol):
    def sign(self, claims: dict[str, Any]) -> str: ...

    def jwks(self) -> dict[str, Any]:
        """The public key that verifies what :meth:`sign` signs."""
        ...

    def sign_with_another_key(self, claims: dict[str, Any]) -> str:
        """Signed by a key nobody published, under the published kid (the bad_signature fault)."""
        ...


@dataclass(frozen=True)
class LoginRequest:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    nonce: str
    acr_values: str
    code_challenge: str | None
    login_hint: str | None


class MockProvider:
    def __init__(
        self,
        issuer: str,
        identities: Mapping[str, TestIdentity],
        clients: Mapping[str, MockClient],
        signer: Signer,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer, self.identities, self.clients, self.clock = issuer, identities, clients, clock
        self.signer = signer
        self._codes: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, dict[str, Any]] = {}

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            **{name: self.issuer + path for name, path in PATHS.items()},
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "userinfo_signing_alg_values_supported": ["ES256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", *PIVOT_SCOPES, *SCOPE_ALIASES],
            "claims_supported": ["sub", "iss", "aud", "acr", *PIVOT_SCOPES],
            "acr_values_supported": list(ACR_LEVELS),
        }

    def jwks(self) -> dict[str, Any]:
        return self.signer.jwks()

    # --- authorization endpoint --------------------------------------------------------------

    def login_request(self, params: Mapping[str, str]) -> LoginRequest:
        client = self.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        if client is None or redirect_uri not in client.redirect_uris:
            raise MockError("invalid_request", "unknown client or unregistered redirect_uri")
        state = params.get("state", "")
        if len(state) < MIN_STATE_LENGTH:
            raise MockError("invalid_request", "state must be at least 32 characters")
        for check, message in self._request_problems(params):
            if check:
                raise MockError("invalid_request", message, redirect=True)
        return LoginRequest(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            scopes=tuple(params.get("scope", "").split()),
            state=state,
            nonce=params["nonce"],
            acr_values=params["acr_values"],
            code_challenge=params.get("code_challenge") or None,
            login_hint=params.get("login_hint") or None,
        )

    def _request_problems(self, params: Mapping[str, str]) -> list[tuple[bool, str]]:
        challenge = params.get("code_challenge")
        return [
            (params.get("response_type") != "code", "response_type must be code"),
            ("openid" not in params.get("scope", "").split(), "scope must include openid"),
            (
                len(params.get("nonce", "")) < MIN_STATE_LENGTH,
                "nonce must be at least 32 characters",
            ),
            (
                not set(params.get("acr_values", "").split()) & set(ACR_LEVELS),
                "acr_values required",
            ),
            (
                bool(challenge) and params.get("code_challenge_method") != "S256",
                "PKCE must be S256",
            ),
            (bool(challenge) and not valid_s256_challenge(challenge or ""), "bad code_challenge"),
        ]

    def log_in(self, request: LoginRequest, identity_key: str) -> str:
        """The redirect back to the client once ``identity_key`` has authenticated."""
        identity = self.identities[identity_key]
        self._forget_expired()
        if identity.fault == "access_denied":
            denied = MockError("access_denied", "the person refused")
            target = {"redirect_uri": request.redirect_uri, "state": request.state}
            return self.error_redirect(target, denied)
        code = random_token()
        self._codes[code] = {
            "request": request,
            "identity": identity,
            "expires": self.clock() + CODE_TTL_SECONDS,
        }
        return _with_query(
            request.redirect_uri, {"code": code, "state": request.state, "iss": self.issuer}
        )

    def _forget_expired(self) -> None:
        """Drop what has expired, oldest first: each store's entries share one lifetime, so they
        expire in the order they were added and the first one still alive ends the sweep."""
        now = self.clock()
        for store in (self._codes, self._tokens):
            while store:
                key = next(iter(store))
                if store[key]["expires"] >= now:
                    break
                del store[key]

    def error_redirect(self, params: Mapping[str, str], error: MockError) -> str:
        answer = {
            "error": error.error,
            "error_description": error.description,
            "state": params.get("state", ""),
            "iss": self.issuer,
        }
        return _with_query(params["redirect_uri"], answer)

    # --- logout ------------------------------------------------------------------------------

    def knows_post_logout_uri(self, target: str) -> bool:
        """The mock keeps no session: it only checks the address is under a client's (the hub's)."""
        known = {uri for c in self.clients.values() for uri in c.redirect_uris}
        return any(target.startswith(uri.split("/oidc-callback/")[0] + "/") for uri in known)

    # --- token endpoint ----------------------------------------------------------------------

    def token(
        self, form: Mapping[str, str], client_id: str | None, secret: str | None
    ) -> dict[str, Any]:
        client = self._authenticated_client(client_id, secret)
        if form.get("grant_type") != "authorization_code":
            raise MockError("unsupported_grant_type", "only authorization_code")
        grant = self._codes.pop(form.get("code", ""), None)  # single use, even when refused
        if grant is None or grant["expires"] < self.clock():
            raise MockError("invalid_grant", "unknown, used or expired code")
        request: LoginRequest = grant["request"]
        if request.client_id != client.client_id or request.redirect_uri != form.get(
            "redirect_uri"
        ):
            raise MockError(
                "invalid_grant", "the code was issued to another client or redirect_uri"
            )
        if request.code_challenge and not pkce_matches(
            request.code_challenge, form.get("code_verifier")
        ):
            raise MockError("invalid_grant", "PKCE verification failed")
        if grant["identity"].fault == "timeout":
            time.sleep(client.timeout + 0.5)
        access_token = random_token()
        self._tokens[access_token] = {**grant, "expires": self.clock() + TOKEN_TTL_SECONDS}
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL_SECONDS,
            "id_token": self._id_token(request, grant["identity"]),
            "scope": " ".join(request.scopes),
        }

    def _authenticated_client(self, client_id: str | None, secret: str | None) -> MockClient:
        client = self.clients.get(client_id or "")
        if client is None or not hmac.compare_digest(
            (secret or "").encode(), client.secret.encode()
        ):
            raise MockError("invalid_client", "client authentication failed")
        return client

    def _id_token(self, request: LoginRequest, identity: TestIdentity) -> str:
        now = int(self.clock())
        claims = {
            "iss": self.issuer,
            "sub": self.subject(request.client_id, identity.key),
            "aud": request.client_id,
            "iat": now,
            "exp": now + TOKEN_TTL_SECONDS,
            "auth_time": now,
            "nonce": random_token() if identity.fault == "wrong_nonce" else request.nonce,
            "acr": identity.acr,
            "amr": ["pwd"],
        }
        if identity.fault == "bad_signature":
            return self.signer.sign_with_another_key(claims)
        return self.signer.sign(claims)

    def subject(self, client_id: str, identity_key: str) -> str:
        """Pairwise, 66 characters like FranceConnect's (here simply derived, not secret)."""
        return hashlib.sha256(f"{client_id}\x1f{identity_key}".encode()).hexdigest() + "v1"

    # --- userinfo ----------------------------------------------------------------------------

    def userinfo(self, access_token: str) -> str:
        """FranceConnect v2: the claims the scopes allow, as a signed JWT."""
        grant = self._tokens.get(access_token)
        if grant is None or grant["expires"] < self.clock():
            raise MockError("invalid_token", "unknown or expired access token")
        request: LoginRequest = grant["request"]
        identity: TestIdentity = grant["identity"]
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": request.client_id,
            "sub": self.subject(request.client_id, identity.key),
            "iat": now,
            "exp": now + TOKEN_TTL_SECONDS,
        }
        if identity.fault == "sub_mismatch":
            claims["sub"] = self.subject(request.client_id, "somebody-else")
        for name in released_claims(request.scopes):
            if name in identity.claims:
                claims[name] = identity.claims[name]
        return self.signer.sign(claims)


def _with_query(url: str, params: Mapping[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)
