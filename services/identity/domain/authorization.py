"""Validation of an authorization request once its client and redirect URI are known genuine.

Every refusal here goes back to the client as an OIDC error (OIDC Core 3.1.2.6).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from services.identity.domain.clients import Client
from services.identity.domain.errors import AuthorizationError
from shared.oidc import ACR_LEVELS, acr_rank, valid_s256_challenge
from shared.scopes import resources_for


class AuthorizationParams(Protocol):
    """What the rules read of an authorization request (commands.AuthorizationRequest)."""

    @property
    def duplicated(self) -> tuple[str, ...]: ...

    @property
    def too_long(self) -> tuple[str, ...]: ...

    @property
    def scopes(self) -> list[str]: ...

    def get(self, name: str) -> str | None: ...


@dataclass(frozen=True)
class LoginDetails:
    scopes: list[str]  # granted: requested and registered
    acr: str  # the minimum level of assurance


def validated_login(client: Client, request: AuthorizationParams) -> LoginDetails:
    _check_form(request)
    if not client.allows_grant("authorization_code"):
        raise AuthorizationError("unauthorized_client", "this client may not use the code flow")
    _check_pkce(request)
    if "none" in (request.get("prompt") or "").split():
        # OIDC Core 3.1.2.1: the hub keeps no login session of its own, so it cannot be silent
        raise AuthorizationError("login_required", "the person must sign in")
    acr = requested_acr(request.get("acr_values"))
    if acr is None:
        raise AuthorizationError("invalid_request", "acr_values names no known level (eidas1-3)")
    return LoginDetails(_scopes(client, request), acr)


def requested_acr(raw: str | None) -> str | None:
    """The level a request asks for: with several ``acr_values`` the lowest applies (FC rule).

    None when the request names levels but none that we know.
    """
    values = [v for v in (raw or "").split() if v]
    if not values:
        return ACR_LEVELS[0]
    known = [v for v in values if acr_rank(v) >= 0]
    return min(known, key=acr_rank) if known else None


def granted_scopes(requested: Iterable[str], registered: Iterable[str]) -> list[str]:
    """The requested scopes the client is registered for, in request order, once each."""
    allowed = set(registered)
    granted: list[str] = []
    for scope in requested:
        if scope in allowed and scope not in granted:
            granted.append(scope)
    return granted


def _check_form(request: AuthorizationParams) -> None:
    if request.duplicated:
        raise AuthorizationError(
            "invalid_request", f"repeated parameter: {', '.join(request.duplicated)}"
        )
    if request.too_long:
        raise AuthorizationError(
            "invalid_request", f"parameter too long: {', '.join(request.too_long)}"
        )
    if request.get("request"):
        raise AuthorizationError("request_not_supported", "request objects are not supported")
    if request.get("request_uri"):
        raise AuthorizationError("request_uri_not_supported", "request_uri is not supported")
    if request.get("response_type") != "code":
        raise AuthorizationError("unsupported_response_type", "only response_type=code")
    if request.get("response_mode") not in (None, "query"):
        raise AuthorizationError("invalid_request", "only response_mode=query")


def _check_pkce(request: AuthorizationParams) -> None:
    """RFC 7636 4.3, S256 only, from every client: the contract promises codes bound to a
    PKCE verifier (RFC 9700 2.1.1 lets confidential clients rely on ``nonce``; the hub not)."""
    challenge = request.get("code_challenge")
    if challenge is None:
        raise AuthorizationError("invalid_request", "a PKCE code_challenge (S256) is required")
    if request.get("code_challenge_method") != "S256":
        raise AuthorizationError("invalid_request", "code_challenge_method must be S256")
    if not valid_s256_challenge(challenge):
        raise AuthorizationError("invalid_request", "code_challenge is not a S256 challenge")


def _scopes(client: Client, request: AuthorizationParams) -> list[str]:
    if "openid" not in request.scopes:
        raise AuthorizationError("invalid_scope", "scope must include openid")
    scopes = granted_scopes(request.scopes, client.scopes)
    if len(resources_for(scopes)) > 1:
        raise AuthorizationError("invalid_scope", "a citizen's token serves one resource at a time")
    return scopes
