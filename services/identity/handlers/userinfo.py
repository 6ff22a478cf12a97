"""Use cases of the userinfo and revocation endpoints: what a citizen's access token entitles.

NOTE: access tokens are self-contained JWTs: revoking one (or its refresh token's family) deletes
its grant, which stops it at userinfo, and announces its ``jti`` to the resource services, which
refuse it within about a second (:mod:`services.identity.handlers.revocations`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.identity import storage
from services.identity.adapters.jwt import JwtRejected
from services.identity.commands import TokenRequest
from services.identity.domain.claims import (
    ACCESS_TOKEN_TYPE,
    citizen_subject_for_client,
    userinfo_claims,
)
from services.identity.domain.digests import digest
from services.identity.domain.errors import OAuthError, insufficient_scope, invalid_token
from services.identity.handlers.context import IdentityContext
from services.identity.handlers.revocations import announce_tokens
from services.identity.handlers.tokens import authenticate
from shared.db import UnitOfWork


@dataclass(frozen=True)
class UserInfo:
    client_id: str
    claims: dict[str, Any]  # sub (as in the client's ID token) and the released claims

    def signed(self, ctx: IdentityContext) -> str:
        """FranceConnect v2 / OIDC Core 5.3.2: a JWT signed with the hub's key."""
        body = userinfo_claims(ctx.settings, self.client_id, self.claims, ctx.now())
        return ctx.keys.sign(body)


def userinfo(uow: UnitOfWork, ctx: IdentityContext, access_token: str | None) -> UserInfo:
    """OIDC Core 5.3: the citizen's claims the client was granted; ``sub`` as in its ID token."""
    if not access_token:
        raise invalid_token("an access token is required")
    try:
        claims = ctx.keys.verify(access_token, ctx.issuer, typ=ACCESS_TOKEN_TYPE)
    except JwtRejected as exc:
        raise invalid_token(f"the access token is not valid ({exc})") from None
    grant = storage.find_grant(uow, str(claims.get("jti")), ctx.now())
    if grant is None:
        raise invalid_token("the access token was revoked or is not a citizen's")
    if "openid" not in grant["scopes"]:
        raise insufficient_scope("openid", "the openid scope is required")
    sub = citizen_subject_for_client(ctx.settings, grant["client_id"], grant["citizen_id"])
    return UserInfo(grant["client_id"], {"sub": sub, **grant["claims"]})


def revoke(uow: UnitOfWork, ctx: IdentityContext, request: TokenRequest) -> None:
    """RFC 7009 2: the client's own tokens; a refresh token takes its whole family with it
    (2.1); unknown tokens are fine (2.2)."""
    client = authenticate(uow, request.credentials)
    value = request.get("token")
    if value is None:
        raise OAuthError("invalid_request", "token is required")
    refresh = storage.find_refresh_token(uow, digest(value))
    if refresh is not None:
        if refresh["client_id"] == client.client_id:
            revoked = storage.revoke_grants(uow, code_hash=refresh["family"])
            announce_tokens(uow, "revoked", revoked)
            uow.commit()
        return
    try:
        claims = ctx.keys.verify(value, ctx.issuer, typ=ACCESS_TOKEN_TYPE)
    except JwtRejected:
        return
    if claims.get("client_id") != client.client_id:
        return
    jti = str(claims.get("jti"))
    revoked = storage.revoke_grants(uow, jti=jti)
    if not revoked and claims.get("sub") == client.client_id:
        # A machine token (client_credentials) has no grant: the token itself says what to refuse.
        revoked = [(jti, int(claims["exp"]))]
    if announce_tokens(uow, "revoked", revoked):
        uow.commit()
