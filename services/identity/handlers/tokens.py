"""Use cases of the token endpoint (RFC 6749 3.2): authorization code, refresh token, client
credentials; and client authentication.

A family is everything one authorization code issued: its access tokens (grants) and its chain of
refresh tokens, all keyed by the code's digest. Replaying the code (RFC 6749 4.1.2) or a spent
refresh token (RFC 9700 4.14.2) revokes the whole family, and tells the resource services which
access tokens to refuse (:mod:`services.identity.handlers.revocations`). The rules are in
:mod:`services.identity.domain.grants`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from services.identity import storage
from services.identity.commands import ClientCredentials, TokenRequest
from services.identity.domain import claims
from services.identity.domain.citizens import signer_claim
from services.identity.domain.clients import Client
from services.identity.domain.digests import digest
from services.identity.domain.errors import OAuthError
from services.identity.domain.grants import (
    REDEEMING_KINDS,
    REFRESH_TOKEN_TTL_SECONDS,
    allowed,
    authenticated,
    check_code_binding,
    machine_scopes,
    narrowed_scopes,
)
from services.identity.handlers.context import IdentityContext
from services.identity.handlers.revocations import announce_tokens
from shared.db import UnitOfWork
from shared.oidc import pkce_verifier_well_formed, random_token, released_claims, s256_challenge
from shared.scopes import CITIZEN_PETITIONS

log = logging.getLogger(__name__)


def authenticate(uow: UnitOfWork, credentials: ClientCredentials) -> Client:
    """RFC 6749 2.3 / 3.2.1: confidential clients with their secret, public ones with none."""
    client = storage.find_client(uow, credentials.client_id)
    return authenticated(client, credentials.method, credentials.secret)


def token(uow: UnitOfWork, ctx: IdentityContext, request: TokenRequest) -> dict[str, Any]:
    """RFC 6749 3.2."""
    grant_type = request.get("grant_type")
    if grant_type is None:
        raise OAuthError("invalid_request", "grant_type is required")
    code, claimed = request.get("code") if grant_type == "authorization_code" else None, None
    if code is not None:
        issued = _redeemed_at_once(uow, ctx, request, code)
        if issued is not None:
            ctx.metrics.tokens_issued.labels(grant_type).inc()
            return issued
        # one round trip for the client and the code
        client, claimed = _client_and_claimed_code(uow, ctx, request, digest(code))
    else:
        client = allowed(authenticate(uow, request.credentials), grant_type)
    if grant_type == "authorization_code":
        answer = redeem_code(uow, ctx, client, request, claimed)
    elif grant_type == "refresh_token":
        answer = refresh(uow, ctx, client, request)
    else:
        answer = client_credentials(ctx, client, request)
    ctx.metrics.tokens_issued.labels(grant_type).inc()
    return answer


def _client_and_claimed_code(
    uow: UnitOfWork, ctx: IdentityContext, request: TokenRequest, code_hash: str
) -> tuple[Client, dict[str, Any] | None]:
    """The client and the code it redeems, claimed in one round trip; unless the client
    authenticates and may redeem codes, the claim is rolled back (the code stays unspent)."""
    credentials = request.credentials
    found, claimed = storage.find_client_and_claim_code(
        uow, credentials.client_id, code_hash, ctx.now()
    )
    try:
        client = allowed(
            authenticated(found, credentials.method, credentials.secret), "authorization_code"
        )
    except OAuthError:
        uow.rollback()
        raise
    return client, claimed


def _redeemed_at_once(
    uow: UnitOfWork, ctx: IdentityContext, request: TokenRequest, code: str
) -> dict[str, Any] | None:
    """A code redeemed in one statement when every check passes (PostgreSQL): the tokens; None
    when anything is amiss or unusual, and nothing was written: :func:`redeem_code` then makes
    the same checks one by one, says what failed and does what a failure does.

    What :func:`redeem_code` takes four round trips for (BEGIN, the client and the claimed code,
    the grant and refresh token, COMMIT), a login's last step, here takes one.
    """
    credentials = request.credentials
    verifier = request.get("code_verifier")
    public = credentials.method == "none"
    if (
        uow.dialect != "postgresql"
        or not credentials.client_id
        or (verifier is not None and not pkce_verifier_well_formed(verifier))
        or (not public and not credentials.secret)
    ):
        return None
    now = ctx.now()
    jti, refresh_token = random_token(16), random_token()
    row = storage.redeem_code_at_once(
        uow,
        {
            "now": now,
            "code_hash": digest(code),
            "client_id": credentials.client_id,
            "redirect_uri": request.get("redirect_uri"),
            "challenge": s256_challenge(verifier) if verifier else None,
            "kinds": REDEEMING_KINDS,
            "public": public,
            "secret_hash": digest(credentials.secret) if credentials.secret else None,
            "jti": jti,
            "access_expires_at": now + ctx.settings.access_token_ttl,
            "refresh_hash": digest(refresh_token),
            "refresh_ttl": REFRESH_TOKEN_TTL_SECONDS,
        },
    )
    if row is None:
        return None
    grant = _grant(credentials.client_id, row, list(row["scopes"]), row["nonce"])
    grant = _with_signer(ctx, grant, row["fingerprint"])
    return _signed_answer(ctx, grant, now, jti, refresh_token)


def redeem_code(
    uow: UnitOfWork,
    ctx: IdentityContext,
    client: Client,
    request: TokenRequest,
    row: dict[str, Any] | None,
) -> dict[str, Any]:
    """RFC 6749 4.1.3 with RFC 7636 4.6; a replayed code revokes what it issued (RFC 6749 4.1.2).

    ``row``: the code, already claimed (marked used) in this transaction; None if it could not be.
    """
    code = request.get("code")
    if code is None:
        raise OAuthError("invalid_request", "code is required")
    code_hash = digest(code)
    if row is None:
        if storage.code_was_used(uow, code_hash):
            # NOTE: finds the grants the one-statement redemption (_redeemed_at_once) added too:
            # they are committed with the code's used mark.
            revoked = announce_tokens(
                uow, "code_replay", storage.revoke_grants(uow, code_hash=code_hash)
            )
            uow.commit()
            log.warning("authorization code replayed; %d grant(s) revoked", revoked)
        raise OAuthError("invalid_grant", "the code is unknown, expired or already used")
    try:
        check_code_binding(client, row, request.get("redirect_uri"), request.get("code_verifier"))
    except OAuthError:
        uow.commit()  # the code is spent, whatever comes next
        raise
    grant = _grant(client.client_id, row, list(row["scopes"]), row["nonce"])
    refresh_until = row["auth_time"] + REFRESH_TOKEN_TTL_SECONDS
    # NOTE: the code is spent in the same transaction as what it issues: a replay, which waits
    # on the code's row until then, finds the tokens to revoke (no window between the two).
    return _citizen_tokens(uow, ctx, grant, row, code_hash, refresh_until)


def refresh(
    uow: UnitOfWork, ctx: IdentityContext, client: Client, request: TokenRequest
) -> dict[str, Any]:
    """RFC 6749 6, rotated (RFC 9700 4.14.2): each refresh token works once."""
    value = request.get("refresh_token")
    if value is None:
        raise OAuthError("invalid_request", "refresh_token is required")
    token_hash = digest(value)
    row = storage.claim_refresh_token(uow, token_hash, ctx.now())
    if row is None:
        family = storage.spent_refresh_family(uow, token_hash)
        if family:
            announce_tokens(
                uow, "refresh_token_reuse", storage.revoke_grants(uow, code_hash=family)
            )
            uow.commit()
            log.warning("refresh token replayed; its family is revoked")
        raise OAuthError("invalid_grant", "the refresh token is unknown, expired or already used")
    if row["client_id"] != client.client_id:
        uow.rollback()  # NOTE: another client's token stays usable by its owner
        raise OAuthError("invalid_grant", "the refresh token was issued to another client")
    try:
        scopes = narrowed_scopes(request.get("scope"), list(row["scopes"]))
    except OAuthError:
        uow.commit()  # spent all the same
        raise
    grant = _grant(client.client_id, row, scopes, None)
    return _citizen_tokens(uow, ctx, grant, row, row["family"], row["expires_at"])


def _grant(
    client_id: str, row: dict[str, Any], scopes: list[str], nonce: Any
) -> claims.CitizenGrant:
    return claims.CitizenGrant(
        client_id=client_id,
        citizen_id=row["citizen_id"],
        scopes=scopes,
        acr=row["acr"],
        adult=row["adult"],
        nonce=nonce,
        auth_time=row["auth_time"],
        sid=row["sid"],
    )


def _citizen_tokens(
    uow: UnitOfWork,
    ctx: IdentityContext,
    grant: claims.CitizenGrant,
    row: dict[str, Any],
    family: str,
    refresh_until: int,
) -> dict[str, Any]:
    now = ctx.now()
    jti, refresh_token = random_token(16), random_token()
    kept = {"client_id": grant.client_id, "citizen_id": grant.citizen_id, "sid": grant.sid}
    released = {c: v for c, v in row["claims"].items() if c in released_claims(grant.scopes)}
    storage.add_grant_and_refresh_token(
        uow,
        {
            **kept,
            "jti": jti,
            "code_hash": family,
            "scopes": grant.scopes,
            "claims": released,
            "expires_at": now + ctx.settings.access_token_ttl,
        },
        {
            **kept,
            "token_hash": digest(refresh_token),
            "family": family,
            "scopes": grant.scopes,
            "claims": released,
            "acr": grant.acr,
            "adult": grant.adult,
            "auth_time": grant.auth_time,
            "expires_at": refresh_until,
        },
    )
    fingerprint = (
        storage.citizen_fingerprint(uow, grant.citizen_id)
        if CITIZEN_PETITIONS in grant.scopes
        else None
    )
    uow.commit()
    return _signed_answer(ctx, _with_signer(ctx, grant, fingerprint), now, jti, refresh_token)


def _with_signer(
    ctx: IdentityContext, grant: claims.CitizenGrant, fingerprint: str | None
) -> claims.CitizenGrant:
    """The grant with its signer claim, when it is for petitions and the citizen is known."""
    if fingerprint is None or CITIZEN_PETITIONS not in grant.scopes:
        return grant
    return replace(grant, signer=signer_claim(ctx.settings.subject_secret, fingerprint))


def _signed_answer(
    ctx: IdentityContext, grant: claims.CitizenGrant, now: int, jti: str, refresh_token: str
) -> dict[str, Any]:
    """The token response for a grant already stored under ``jti``."""
    access_claims = claims.citizen_access_claims(ctx.settings, grant, now, jti)
    access_token = ctx.keys.sign(access_claims, typ=claims.ACCESS_TOKEN_TYPE)
    id_token = ctx.keys.sign(claims.id_token_claims(ctx.settings, grant, access_token, now))
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ctx.settings.access_token_ttl,
        "id_token": id_token,
        "refresh_token": refresh_token,
        "scope": access_claims["scope"],
    }


def client_credentials(
    ctx: IdentityContext, client: Client, request: TokenRequest
) -> dict[str, Any]:
    """RFC 6749 4.4: the registered scopes, or those asked for among them."""
    scopes = machine_scopes(client, request.get("scope"))
    access = claims.machine_access_claims(ctx.settings, client.client_id, scopes, ctx.now())
    return {
        "access_token": ctx.keys.sign(access, typ=claims.ACCESS_TOKEN_TYPE),
        "token_type": "Bearer",
        "expires_in": ctx.settings.access_token_ttl,
        "scope": access["scope"],
    }
