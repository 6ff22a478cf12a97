"""Use cases of the login flow: a client's authorization request, the upstream provider's answer.

The hub is FranceConnect's pattern: an OpenID Provider to its clients, a relying party to the
upstream providers; it runs its own code flow upstream (own state, nonce, PKCE), checks the
identity, finds the citizen, and issues its own code to the client.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from services.identity import storage
from services.identity.clients import Client
from services.identity.domain import (
    IncompleteIdentity,
    PivotIdentity,
    citizen_fingerprint,
    digest,
    is_adult,
    random_token,
    released_claims,
    same_digest,
)
from services.identity.errors import AuthorizationError, UnsafeRequest
from services.identity.oidc.keys import KeyStore
from services.identity.oidc.relying_party import UpstreamClient, UpstreamError
from services.identity.oidc.validation import validated_login
from services.identity.schemas import AuthorizationRequest
from shared.config import Settings
from shared.db import UnitOfWork

log = logging.getLogger(__name__)

# NOTE: FranceConnect gives codes 30 s; 60 s leaves room for a slow client, still single use.
CODE_TTL_SECONDS = 60
PENDING_LOGIN_TTL_SECONDS = 600  # time the person has at the upstream provider
MIN_STATE_LENGTH = 32
PASSED_ON_UPSTREAM_ERRORS = ("access_denied", "login_required", "temporarily_unavailable")


@dataclass
class IdentityContext:
    """The collaborators the use cases need besides the unit of work."""

    settings: Settings
    keys: KeyStore
    upstreams: Mapping[str, UpstreamClient]
    clock: Callable[[], float] = time.time
    today: Callable[[], date] = field(default=lambda: datetime.now(UTC).date())

    @property
    def issuer(self) -> str:
        return self.settings.public_url("identity")

    def now(self) -> int:
        return int(self.clock())


@dataclass(frozen=True)
class Redirect:
    location: str


@dataclass(frozen=True)
class ChooseProvider:
    query: dict[str, str]
    providers: list[Any]


# --- the client's authorization request ------------------------------------------------------


def start_login(
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
            return ChooseProvider(dict(request.params), candidates)
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


# --- the upstream provider's answer ----------------------------------------------------------


def finish_login(
    uow: UnitOfWork,
    ctx: IdentityContext,
    provider_id: str,
    params: Mapping[str, str],
    browser_key: str | None,
) -> Redirect:
    pending = _browser_bound_login(uow, params.get("state"), browser_key)
    upstream = ctx.upstreams.get(provider_id)
    if upstream is None or pending["provider_id"] != provider_id:
        raise UnsafeRequest("This answer comes from another identity provider than the one chosen.")
    if not storage.take_pending_login(uow, pending["state"]):
        raise UnsafeRequest("This sign-in has already been completed.")
    uow.commit()
    try:
        code = _issue_code(uow, ctx, upstream, pending, params)
    except AuthorizationError as exc:
        return Redirect(error_redirect(ctx, pending["redirect_uri"], pending["client_state"], exc))
    answer = {"code": code, "state": pending["client_state"], "iss": ctx.issuer}
    return Redirect(_with_query(pending["redirect_uri"], answer))


def _browser_bound_login(
    uow: UnitOfWork, state: str | None, browser_key: str | None
) -> dict[str, Any]:
    """CSRF (RFC 6749 10.12): the state must be ours and come back to the browser it left."""
    if not state or len(state) < MIN_STATE_LENGTH:
        raise UnsafeRequest("The identity provider's answer has no valid state.")
    pending = storage.find_pending_login(uow, state)
    if pending is None:
        raise UnsafeRequest(
            "This sign-in is unknown or already completed; start again from the service."
        )
    if not browser_key or not same_digest(browser_key, pending["browser_hash"]):
        raise UnsafeRequest(
            "This sign-in was started in another browser; start again from the service."
        )
    return pending


def _issue_code(
    uow: UnitOfWork,
    ctx: IdentityContext,
    upstream: UpstreamClient,
    pending: dict[str, Any],
    params: Mapping[str, str],
) -> str:
    if pending["expires_at"] < ctx.now():
        raise AuthorizationError("access_denied", "the sign-in took too long; please start again")
    if params.get("error"):
        error = params["error"] if params["error"] in PASSED_ON_UPSTREAM_ERRORS else "access_denied"
        raise AuthorizationError(error, "the identity provider did not authenticate the person")
    if params.get("iss") not in (None, upstream.provider.issuer):  # RFC 9207: mix-up defence
        raise AuthorizationError("access_denied", "the answer names another identity provider")
    claims, acr = _upstream_identity(upstream, pending, params.get("code"))
    try:
        pivot = PivotIdentity.from_claims(claims)
    except IncompleteIdentity as exc:
        log.warning("upstream %s sent an incomplete identity: %s", upstream.provider.id, exc)
        raise AuthorizationError(
            "access_denied", "the identity provider sent an incomplete identity"
        ) from None
    fingerprint = citizen_fingerprint(pivot, ctx.settings.subject_secret)
    citizen_id = storage.citizen_id_for(uow, fingerprint, uuid.uuid4().hex)
    code = random_token()
    storage.add_code(
        uow,
        {
            "code_hash": digest(code),
            "client_id": pending["client_id"],
            "redirect_uri": pending["redirect_uri"],
            "citizen_id": citizen_id,
            "scopes": pending["scopes"],
            "nonce": pending["client_nonce"],
            "acr": acr,
            "adult": is_adult(pivot.birthdate, ctx.today()),
            "claims": {c: claims[c] for c in released_claims(pending["scopes"]) if c in claims},
            "code_challenge": pending["code_challenge"],
            "auth_time": ctx.now(),
            "expires_at": ctx.now() + CODE_TTL_SECONDS,
        },
    )
    uow.commit()
    return code


def _upstream_identity(
    upstream: UpstreamClient, pending: dict[str, Any], code: str | None
) -> tuple[dict[str, Any], str]:
    """Exchange the code, verify the ID token and the signed userinfo; (claims, acr)."""
    if not code:
        raise AuthorizationError("access_denied", "the identity provider sent no code")
    try:
        tokens = upstream.exchange(code, pending["upstream_verifier"])
        id_claims = upstream.verify_id_token(
            tokens["id_token"], pending["upstream_nonce"], pending["acr"]
        )
        claims = upstream.userinfo(tokens["access_token"], id_claims["sub"])
    except UpstreamError as exc:
        log.warning("upstream %s login refused: %s", upstream.provider.id, exc)
        raise AuthorizationError(
            exc.error, "the identity provider's answer could not be verified"
        ) from None
    return claims, id_claims["acr"]


# --- answers to the client -------------------------------------------------------------------


def error_redirect(
    ctx: IdentityContext, redirect_uri: str, state: str | None, exc: AuthorizationError
) -> str:
    """OIDC Core 3.1.2.6, with RFC 9207's ``iss``."""
    answer = {"error": exc.error, "error_description": exc.description, "iss": ctx.issuer}
    if state:
        answer["state"] = state
    return _with_query(redirect_uri, answer)


def _with_query(url: str, params: Mapping[str, Any]) -> str:
    present = {k: v for k, v in params.items() if v is not None}
    return url + ("&" if "?" in url else "?") + urlencode(present)
