"""The token endpoint's rules (RFC 6749 3.2): which client may use which grant, how a client
authenticates, what binds a code to its request, how far a refreshed scope may go."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.identity.domain.clients import GRANTS_BY_KIND, Client
from services.identity.domain.errors import OAuthError, invalid_client
from shared.oidc import pkce_matches
from shared.scopes import parse_scope

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
# NOTE: a refresh token never outlives the hub's session it was issued in (FranceConnect: 1800 s);
# logging out ends it sooner.
REFRESH_TOKEN_TTL_SECONDS = 1800
# Client kinds that may redeem authorization codes.
REDEEMING_KINDS = [kind for kind, types in GRANTS_BY_KIND.items() if "authorization_code" in types]


def authenticated(client: Client | None, method: str, secret: str | None) -> Client:
    """RFC 6749 2.3 / 3.2.1: confidential clients with their secret, public ones with none."""
    if client is None or client.disabled:
        raise invalid_client()
    if client.public:
        if method != "none":
            raise invalid_client("a public client has no secret", registered=True)
        return client
    if not client.secret_matches(secret):
        raise invalid_client(registered=True)
    return client


def allowed(client: Client, grant_type: str) -> Client:
    if grant_type not in GRANT_TYPES:
        raise OAuthError("unsupported_grant_type", f"{grant_type} is not supported")
    if not client.allows_grant(grant_type):
        raise OAuthError("unauthorized_client", f"a {client.kind} may not use {grant_type}")
    return client


def check_code_binding(
    client: Client, row: Mapping[str, Any], redirect_uri: str | None, verifier: str | None
) -> None:
    """RFC 6749 4.1.3 with RFC 7636 4.6: the code's client, redirect URI and PKCE challenge."""
    if row["client_id"] != client.client_id:
        raise OAuthError("invalid_grant", "the code was issued to another client")
    if row["redirect_uri"] != redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request's")
    if row["code_challenge"]:
        if not pkce_matches(row["code_challenge"], verifier):
            raise OAuthError("invalid_grant", "the PKCE code_verifier does not match")
    elif verifier:  # RFC 9700 2.1.1: a verifier without a challenge is a downgrade attempt
        raise OAuthError("invalid_grant", "no code_challenge was sent for this code")


def narrowed_scopes(asked: str | None, granted: list[str]) -> list[str]:
    """RFC 6749 6: the scope may shrink, never grow."""
    if asked is None:
        return granted
    scopes = list(dict.fromkeys(parse_scope(asked)))
    if not scopes or any(s not in granted for s in scopes):
        raise OAuthError("invalid_scope", "the scope may only shrink on refresh")
    return scopes


def machine_scopes(client: Client, asked: str | None) -> list[str]:
    """RFC 6749 4.4: the registered scopes, or those asked for among them."""
    requested = parse_scope(asked)
    refused = [s for s in requested if s not in client.scopes]
    if refused:
        raise OAuthError("invalid_scope", f"not registered for this client: {' '.join(refused)}")
    return list(dict.fromkeys(requested)) or list(client.scopes)
