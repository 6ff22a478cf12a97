"""Use cases of the login flow: a client's authorization request (the upstream provider's answer
is in :mod:`services.identity.handlers.upstream_login`).

The hub is FranceConnect's pattern: an OpenID Provider to its clients, a relying party to the
upstream providers; it runs its own code flow upstream (own state, nonce, PKCE), checks the
identity, finds the citizen, and issues its own code to the client.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from services.identity import storage
from services.identity.adapters.relying_party import UpstreamClient, UpstreamError
from services.identity.commands import AuthorizationRequest
from services.identity.domain.authorization import validated_login
from services.identity.domain.clients import Client
from services.identity.domain.digests import digest
from services.identity.domain.errors import AuthorizationError, UnsafeRequest
from services.identity.handlers.context import IdentityContext, error_redirect
from shared.db import UnitOfWork
from shared.oidc import random_token
from shared.upstreams import UpstreamProvider

log = logging.getLogger(__name__)

PENDING_LOGIN_TTL_SECONDS = 600  # time the person has at the upstream provider


@dataclass(frozen=True)
class Redirect:
    location: str


@dataclass(frozen=True)
class ChooseProvider:
    query: dict[str, str]
    providers: list[UpstreamProvider]
    acr: str


def start_login(
    uow: UnitOfWork, ctx: IdentityContext, request: AuthorizationRequest, browser_key: str
) -> Redirect | ChooseProvider:
    # A lookup, then one insert: nothing that must commit together.
    with storage.each_statement_commits(uow):
        return _start_login(uow, ctx, request, browser_key)


def _start_login(
    uow: UnitOfWork, ctx: IdentityContext, request: AuthorizationRequest, browser_key: str
) -> Redirect | ChooseProvider:
    client = genuine_client(uow, request)
    redirect_uri, state = request.get("redirect_uri") or "", request.get("state")
    try:
        login = validated_login(client, request)
        upstream = _chosen_provider(ctx, request, login.acr)
        if upstream is None:
            candidates = [
                u.provider for u in ctx.upstreams.values() if u.provider.can_meet(login.acr)
            ]
            return ChooseProvider(dict(request.params), candidates, login.acr)
        upstream_state, nonce, verifier = random_token(), random_token(), random_token(48)
        location = upstream.authorization_url(
            upstream_state, nonce, verifier, login.acr, request.get("login_hint")
        )
    except AuthorizationError as exc:
        return Redirect(error_redirect(ctx, redirect_uri, state, exc))
    except UpstreamError as exc:
        log.warning("upstream %s unavailable: %s", request.get("idp_hint"), exc)
        failure = AuthorizationError(exc.error, "the identity provider cannot be reached")
        return Redirect(error_redirect(ctx, redirect_uri, state, failure))
    storage.add_pending_login(
        uow,
        {
            "state": upstream_state,
            "browser_hash": digest(browser_key),
            "provider_id": upstream.provider.id,
            "upstream_nonce": nonce,
            "upstream_verifier": verifier,
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "client_state": state,
            "client_nonce": request.get("nonce"),
            "scopes": login.scopes,
            "code_challenge": request.get("code_challenge"),
            "acr": login.acr,
            "expires_at": ctx.now() + PENDING_LOGIN_TTL_SECONDS,
        },
    )
    uow.commit()
    return Redirect(location)


def genuine_client(uow: UnitOfWork, request: AuthorizationRequest) -> Client:
    """OIDC Core 3.1.2.6 / RFC 6749 4.1.2.1: no redirect unless client and URI are genuine."""
    if "client_id" in request.duplicated or "redirect_uri" in request.duplicated:
        raise UnsafeRequest("client_id and redirect_uri must be given once.")
    client = storage.find_client(uow, request.get("client_id"))
    if client is None or client.disabled:
        raise UnsafeRequest("The service that sent you here is not known to the hub.")
    if not client.registered_redirect(request.get("redirect_uri")):
        raise UnsafeRequest("The address to return to is not registered for this service.")
    return client


def _chosen_provider(
    ctx: IdentityContext, request: AuthorizationRequest, acr: str
) -> UpstreamClient | None:
    """``idp_hint`` skips the chooser; a provider that cannot meet the level is never used."""
    hint = request.get("idp_hint")
    if hint:
        upstream = ctx.upstreams.get(hint)
        if upstream is None:
            raise AuthorizationError("invalid_request", "idp_hint names no known identity provider")
        if not upstream.provider.can_meet(acr):
            raise AuthorizationError("access_denied", f"this identity provider cannot meet {acr}")
        return upstream
    able = [u for u in ctx.upstreams.values() if u.provider.can_meet(acr)]
    if not able:
        raise AuthorizationError("access_denied", f"no identity provider can meet {acr}")
    return able[0] if len(able) == 1 else None
