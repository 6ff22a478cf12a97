"""Use case of the upstream provider's answer: check it, find the citizen, open the hub's session,
and answer the client with a code; or show the citizen what went wrong and give the client an
OIDC error (OIDC Core 3.1.2.6) when they go back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.identity import storage
from services.identity.adapters.relying_party import (
    UpstreamClient,
    UpstreamError,
    UpstreamUnavailable,
)
from services.identity.commands import UpstreamAnswer
from services.identity.domain.citizens import (
    IncompleteIdentity,
    PivotIdentity,
    citizen_fingerprint,
    is_adult,
)
from services.identity.domain.digests import digest, same_digest
from services.identity.domain.errors import AuthorizationError, UnsafeRequest
from services.identity.handlers.context import IdentityContext, error_redirect, with_query
from shared.db import UnitOfWork
from shared.oidc import random_token, released_claims

log = logging.getLogger(__name__)

# NOTE: FranceConnect gives codes 30 s; 60 s leaves room for a slow client, still single use.
CODE_TTL_SECONDS = 60
MIN_STATE_LENGTH = 32  # FranceConnect: state and nonce of at least 32 characters
SESSION_TTL_SECONDS = 1800  # FranceConnect's session
PASSED_ON_UPSTREAM_ERRORS = ("access_denied", "login_required", "temporarily_unavailable")


@dataclass(frozen=True)
class SignedIn:
    location: str  # the client's redirect URI with the code
    sid: str  # the hub's session, for the browser's cookie


@dataclass(frozen=True)
class LoginFailed:
    """Shown to the citizen as a page; ``location`` gives the client its OIDC error."""

    title: str
    message: str
    location: str


class FailedLogin(Exception):
    def __init__(self, outcome: str, error: str, message: str) -> None:
        super().__init__(message)
        self.outcome, self.error, self.message = outcome, error, message


def finish_login(
    uow: UnitOfWork, ctx: IdentityContext, answer: UpstreamAnswer
) -> SignedIn | LoginFailed:
    provider_id, params, browser_key = answer.provider_id, answer.params, answer.browser_key
    with storage.each_statement_commits(uow):  # one DELETE ... RETURNING (or lookups)
        pending = _take_browser_bound_login(uow, ctx, provider_id, params.get("state"), browser_key)
    upstream = ctx.upstreams[provider_id]
    uow.commit()  # spent before the provider is asked, whatever it answers
    try:
        outcome = _signed_in(uow, ctx, upstream, pending, params, browser_key or "")
    except FailedLogin as exc:
        ctx.metrics.logins.labels(provider_id, exc.outcome).inc()
        failure = AuthorizationError(exc.error, exc.message)
        location = error_redirect(ctx, pending["redirect_uri"], pending["client_state"], failure)
        return LoginFailed(_TITLES[exc.outcome], exc.message, location)
    ctx.metrics.logins.labels(provider_id, "success").inc()
    return outcome


_TITLES = {
    "expired": "The sign-in took too long",
    "denied": "The identity provider did not sign you in",
    "rejected": "The identity provider's answer could not be trusted",
    "unavailable": "The identity provider cannot be reached",
    "incomplete_identity": "The identity provider sent an incomplete identity",
}


def _take_browser_bound_login(
    uow: UnitOfWork,
    ctx: IdentityContext,
    provider_id: str,
    state: str | None,
    browser_key: str | None,
) -> dict[str, Any]:
    """CSRF (RFC 6749 10.12): the state must be ours and come back to the browser it left, from
    the provider it was sent to; the login is then taken (single use) in the same statement."""
    if not state or len(state) < MIN_STATE_LENGTH:
        raise UnsafeRequest("The identity provider's answer has no valid state.")
    if browser_key and provider_id in ctx.upstreams:
        pending = storage.take_pending_login(uow, state, digest(browser_key), provider_id)
        if pending is not None:
            return pending
    # Refused: say why, leaving the pending login to the browser that started it.
    pending = storage.find_pending_login(uow, state)
    if pending is None:
        raise UnsafeRequest(
            "This sign-in is unknown or already completed; start again from the service."
        )
    if not browser_key or not same_digest(browser_key, pending["browser_hash"]):
        raise UnsafeRequest(
            "This sign-in was started in another browser; start again from the service."
        )
    if provider_id not in ctx.upstreams or pending["provider_id"] != provider_id:
        raise UnsafeRequest("This answer comes from another identity provider than the one chosen.")
    raise UnsafeRequest("This sign-in has already been completed.")


def _signed_in(
    uow: UnitOfWork,
    ctx: IdentityContext,
    upstream: UpstreamClient,
    pending: dict[str, Any],
    params: Mapping[str, str],
    browser_key: str,
) -> SignedIn:
    _check_answer(ctx, upstream, pending, params)
    identity = _upstream_identity(upstream, pending, params.get("code"))
    pivot = _pivot(upstream, identity.claims)
    fingerprint = citizen_fingerprint(pivot, ctx.settings.subject_secret)
    sid = random_token()
    # NOTE: clients get presumed birth dates as FranceConnect gives them (YYYY-01-01, not -00)
    released = {**identity.claims, "birthdate": pivot.birthdate}
    adult = is_adult(pivot.birthdate, ctx.today())
    session = {
        "sid": sid,
        "browser_hash": digest(browser_key),
        "provider_id": upstream.provider.id,
        "upstream_id_token": identity.id_token,
        "expires_at": ctx.now() + SESSION_TTL_SECONDS,
    }
    code, code_row = _new_code(ctx, pending, released, identity.acr, sid, adult)
    # The citizen is found, or added (idempotent), with the session and the code for them, by
    # one statement: nothing needs a transaction around it.
    with storage.each_statement_commits(uow):
        storage.add_citizen_session_and_code(uow, fingerprint, uuid.uuid4().hex, session, code_row)
    uow.commit()
    answer = {"code": code, "state": pending["client_state"], "iss": ctx.issuer}
    return SignedIn(with_query(pending["redirect_uri"], answer), sid)


def _check_answer(
    ctx: IdentityContext,
    upstream: UpstreamClient,
    pending: dict[str, Any],
    params: Mapping[str, str],
) -> None:
    if pending["expires_at"] < ctx.now():
        raise FailedLogin(
            "expired", "access_denied", "The sign-in took too long; please start again."
        )
    if params.get("error"):  # OIDC Core 3.1.2.6, from the upstream provider
        error = params["error"] if params["error"] in PASSED_ON_UPSTREAM_ERRORS else "access_denied"
        log.info("upstream %s answered %s", upstream.provider.id, params["error"])
        raise FailedLogin("denied", error, "The identity provider did not authenticate you.")
    if params.get("iss") not in (None, upstream.provider.issuer):  # RFC 9207: mix-up defence
        raise FailedLogin(
            "rejected", "access_denied", "The answer names another identity provider."
        )


@dataclass(frozen=True)
class UpstreamIdentity:
    claims: dict[str, Any]  # the verified userinfo
    acr: str
    id_token: str


def _upstream_identity(
    upstream: UpstreamClient, pending: dict[str, Any], code: str | None
) -> UpstreamIdentity:
    """Exchange the code, verify the ID token and the signed userinfo."""
    if not code:
        raise FailedLogin("rejected", "access_denied", "The identity provider sent no code.")
    try:
        tokens = upstream.exchange(code, pending["upstream_verifier"])
        id_claims = upstream.verify_id_token(
            tokens["id_token"], pending["upstream_nonce"], pending["acr"]
        )
        claims = upstream.userinfo(tokens["access_token"], id_claims["sub"])
    except UpstreamError as exc:
        log.warning("upstream %s login refused: %s", upstream.provider.id, exc)
        outcome = "unavailable" if isinstance(exc, UpstreamUnavailable) else "rejected"
        message = (
            "The identity provider did not answer in time; please try again later."
            if outcome == "unavailable"
            else "The identity provider's answer could not be verified; you were not signed in."
        )
        raise FailedLogin(outcome, exc.error, message) from None
    return UpstreamIdentity(claims, id_claims["acr"], tokens["id_token"])


def _pivot(upstream: UpstreamClient, claims: dict[str, Any]) -> PivotIdentity:
    try:
        return PivotIdentity.from_claims(claims)
    except IncompleteIdentity as exc:
        log.warning("upstream %s sent an incomplete identity: %s", upstream.provider.id, exc)
        raise FailedLogin(
            "incomplete_identity",
            "access_denied",
            "The identity provider did not send a complete identity; you were not signed in.",
        ) from None


def _new_code(
    ctx: IdentityContext,
    pending: dict[str, Any],
    claims: dict[str, Any],
    acr: str,
    sid: str,
    adult: bool,
) -> tuple[str, dict[str, Any]]:
    """The code for the client and its row but the citizen (only its digest is stored)."""
    code = random_token()
    released = released_claims(pending["scopes"])
    row = {
        "code_hash": digest(code),
        "client_id": pending["client_id"],
        "redirect_uri": pending["redirect_uri"],
        "scopes": pending["scopes"],
        "nonce": pending["client_nonce"],
        "acr": acr,
        "adult": adult,
        "claims": {c: claims[c] for c in released if c in claims},
        "code_challenge": pending["code_challenge"],
        "auth_time": ctx.now(),
        "expires_at": ctx.now() + CODE_TTL_SECONDS,
        "sid": sid,
    }
    return code, row
