"""Validation of an authorization request once its client and redirect URI are known genuine.

Every refusal here goes back to the client as an OIDC error (OIDC Core 3.1.2.6).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.identity.domain.citizens import granted_scopes, requested_acr, valid_s256_challenge
from services.identity.domain.clients import Client
from services.identity.domain.errors import AuthorizationError
from services.identity.schemas import AuthorizationRequest
from shared.scopes import resources_for


@dataclass(frozen=True)
class LoginDetails:
    scopes: list[str]  # granted: requested and registered
    acr: str  # the minimum level of assurance


def validated_login(client: Client, request: AuthorizationRequest) -> LoginDetails:
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


def _check_form(request: AuthorizationRequest) -> None:
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


def _check_pkce(request: AuthorizationRequest) -> None:
    """RFC 7636 4.3, S256 only, from every client: the contract promises codes bound to a
    PKCE verifier (RFC 9700 2.1.1 lets confidential clients rely on ``nonce``; the hub not)."""
    challenge = request.get("code_challenge")
    if challenge is None:
        raise AuthorizationError("invalid_request", "a PKCE code_challenge (S256) is required")
    if request.get("code_challenge_method") != "S256":
        raise AuthorizationError("invalid_request", "code_challenge_method must be S256")
    if not valid_s256_challenge(challenge):
        raise AuthorizationError("invalid_request", "code_challenge is not a S256 challenge")


def _scopes(client: Client, request: AuthorizationRequest) -> list[str]:
    if "openid" not in request.scopes:
        raise AuthorizationError("invalid_scope", "scope must include openid")
    scopes = granted_scopes(request.scopes, client.scopes)
    if len(resources_for(scopes)) > 1:
        raise AuthorizationError("invalid_scope", "a citizen's token serves one resource at a time")
    return scopes
