"""Use cases of the token, userinfo and revocation endpoints, and client registration."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from services.identity import storage
from services.identity.clients import Client, new_client
from services.identity.domain import digest, pkce_matches
from services.identity.errors import OAuthError, UnsafeRequest, invalid_client, invalid_token
from services.identity.handlers import IdentityContext
from services.identity.oidc import tokens
from services.identity.oidc.jwt import JwtRejected
from services.identity.schemas import ClientCredentials, TokenRequest
from shared.db import UnitOfWork
from shared.scopes import parse_scope

log = logging.getLogger(__name__)

GRANT_TYPES = ("authorization_code", "client_credentials")


def register_client(
    uow: UnitOfWork,
    name: str,
    kind: str,
    scope: str | None = None,
    redirect_uris: list[str] | None = None,
    public: bool = False,
    production: bool = False,
) -> dict[str, Any]:
    """Registers a client; its description with the secret, shown this once and never stored."""
    client, secret = new_client(name, kind, scope, redirect_uris, public, production)
    storage.add_client(uow, client)
    uow.commit()
    return {**client.to_public_dict(), "client_secret": secret}


def authenticate(uow: UnitOfWork, credentials: ClientCredentials) -> Client:
    """RFC 6749 2.3 / 3.2.1: confidential clients with their secret, public ones with none."""
    client = storage.find_client(uow, credentials.client_id)
    if client is None or client.disabled:
        raise invalid_client()
    if client.public:
        if credentials.method != "none":
            raise invalid_client("a public client has no secret")
        return client
    if not client.secret_matches(credentials.secret):
        raise invalid_client()
    return client


def token(uow: UnitOfWork, ctx: IdentityContext, request: TokenRequest) -> dict[str, Any]:
    """RFC 6749 3.2."""
    grant_type = request.get("grant_type")
    if grant_type is None:
        raise OAuthError("invalid_request", "grant_type is required")
    client = authenticate(uow, request.credentials)
    if grant_type not in GRANT_TYPES:
        raise OAuthError("unsupported_grant_type", f"{grant_type} is not supported")
    if not client.allows_grant(grant_type):
        raise OAuthError("unauthorized_client", f"a {client.kind} may not use {grant_type}")
    if grant_type == "authorization_code":
        return redeem_code(uow, ctx, client, request)
    return client_credentials(ctx, client, request)


def redeem_code(
    uow: UnitOfWork, ctx: IdentityContext, client: Client, request: TokenRequest
) -> dict[str, Any]:
    """RFC 6749 4.1.3 with RFC 7636 4.6; a replayed code revokes what it issued (RFC 6749 4.1.2)."""
    code = request.get("code")
    if code is None:
        raise OAuthError("invalid_request", "code is required")
    code_hash = digest(code)
    row = storage.claim_code(uow, code_hash, ctx.now())
    if row is None:
        if storage.code_was_used(uow, code_hash):
            revoked = storage.revoke_grants(uow, code_hash=code_hash)
            uow.commit()
            log.warning("authorization code replayed; %d grant(s) revoked", revoked)
        raise OAuthError("invalid_grant", "the code is unknown, expired or already used")
    uow.commit()  # the code is spent, whatever comes next
    _check_code_binding(client, row, request)
    grant = tokens.CitizenGrant(
        client_id=client.client_id,
        citizen_id=row["citizen_id"],
        scopes=list(row["scopes"]),
        acr=row["acr"],
        adult=row["adult"],
        nonce=row["nonce"],
        auth_time=row["auth_time"],
    )
    return _citizen_tokens(uow, ctx, grant, row)


def _check_code_binding(client: Client, row: dict[str, Any], request: TokenRequest) -> None:
    if row["client_id"] != client.client_id:
        raise OAuthError("invalid_grant", "the code was issued to another client")
    if row["redirect_uri"] != request.get("redirect_uri"):
        raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request's")
    verifier = request.get("code_verifier")
    if row["code_challenge"]:
        if not pkce_matches(row["code_challenge"], verifier):
            raise OAuthError("invalid_grant", "the PKCE code_verifier does not match")
    elif verifier:  # RFC 9700 2.1.1: a verifier without a challenge is a downgrade attempt
        raise OAuthError("invalid_grant", "no code_challenge was sent for this code")


def _citizen_tokens(
    uow: UnitOfWork, ctx: IdentityContext, grant: tokens.CitizenGrant, row: dict[str, Any]
) -> dict[str, Any]:
    now = ctx.now()
    access_claims = tokens.citizen_access_claims(ctx.settings, grant, now)
    access_token = ctx.keys.sign(access_claims, typ=tokens.ACCESS_TOKEN_TYPE)
    id_token = ctx.keys.sign(tokens.id_token_claims(ctx.settings, grant, access_token, now))
    storage.add_grant(
        uow,
        {
            "jti": access_claims["jti"],
            "code_hash": row["code_hash"],
            "client_id": grant.client_id,
            "citizen_id": grant.citizen_id,
            "scopes": grant.scopes,
            "claims": row["claims"],
            "expires_at": access_claims["exp"],
        },
    )
    uow.commit()
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ctx.settings.access_token_ttl,
        "id_token": id_token,
        "scope": access_claims["scope"],
    }


def client_credentials(
    ctx: IdentityContext, client: Client, request: TokenRequest
) -> dict[str, Any]:
    """RFC 6749 4.4: the registered scopes, or those asked for among them."""
    asked = parse_scope(request.get("scope"))
    refused = [s for s in asked if s not in client.scopes]
    if refused:
        raise OAuthError("invalid_scope", f"not registered for this client: {' '.join(refused)}")
    scopes = list(dict.fromkeys(asked)) or list(client.scopes)
    claims = tokens.machine_access_claims(ctx.settings, client.client_id, scopes, ctx.now())
    return {
        "access_token": ctx.keys.sign(claims, typ=tokens.ACCESS_TOKEN_TYPE),
        "token_type": "Bearer",
        "expires_in": ctx.settings.access_token_ttl,
        "scope": claims["scope"],
    }


def userinfo(uow: UnitOfWork, ctx: IdentityContext, access_token: str | None) -> dict[str, Any]:
    """OIDC Core 5.3: the citizen's claims the client was granted; ``sub`` as in its ID token."""
    if not access_token:
        raise invalid_token("an access token is required")
    try:
        claims = ctx.keys.verify(access_token, ctx.issuer, typ=tokens.ACCESS_TOKEN_TYPE)
    except JwtRejected as exc:
        raise invalid_token(f"the access token is not valid ({exc})") from None
    grant = storage.find_grant(uow, str(claims.get("jti")), ctx.now())
    if grant is None:
        raise invalid_token("the access token was revoked or is not a citizen's")
    if "openid" not in grant["scopes"]:
        raise OAuthError(
            "insufficient_scope",
            "the openid scope is required",
            403,
            {"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="openid"'},
        )
    sub = tokens.citizen_subject_for_client(ctx.settings, grant["client_id"], grant["citizen_id"])
    return {"sub": sub, **grant["claims"]}


def revoke(uow: UnitOfWork, ctx: IdentityContext, request: TokenRequest) -> None:
    """RFC 7009 2: the client's own access token stops working at userinfo; unknown tokens are ok.

    NOTE: access tokens are self-contained JWTs, so resource services honour them until ``exp``
    (HUB_ACCESS_TOKEN_TTL, short on purpose).
    """
    client = authenticate(uow, request.credentials)
    value = request.get("token")
    if value is None:
        raise OAuthError("invalid_request", "token is required")
    try:
        claims = ctx.keys.verify(value, ctx.issuer, typ=tokens.ACCESS_TOKEN_TYPE)
    except JwtRejected:
        return
    if claims.get("client_id") == client.client_id:
        storage.revoke_grants(uow, jti=str(claims.get("jti")))
        uow.commit()


def end_session(uow: UnitOfWork, ctx: IdentityContext, params: dict[str, str]) -> str | None:
    """OIDC RP-Initiated Logout 1.0: where to send the browser back (None: show a page).

    NOTE: the hub keeps no login session of its own (every sign-in goes upstream), so there is
    nothing to end here. The return address must be one of the client's registered redirect URIs.
    """
    target = params.get("post_logout_redirect_uri")
    if not target:
        return None
    hint = params.get("id_token_hint")
    try:
        claims = ctx.keys.verify(hint or "", ctx.issuer, allow_expired=True)
    except JwtRejected:
        raise UnsafeRequest(
            "The sign-out request does not come from a service of the hub."
        ) from None
    client = storage.find_client(uow, str(claims.get("aud")))
    if client is None or not client.registered_redirect(target):
        raise UnsafeRequest("The address to return to is not registered for this service.")
    state = params.get("state")
    return target + (("&" if "?" in target else "?") + urlencode({"state": state}) if state else "")
