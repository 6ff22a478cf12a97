"""Use cases of RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), FranceConnect's way:
the hub ends its own session (and the refresh tokens and access tokens issued in it, at userinfo
and at the resource services: :mod:`services.identity.handlers.revocations`), sends the browser
to the upstream provider's logout with the upstream ID token, and, when the provider sends it
back, returns it to the client's registered address with the client's ``state``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from services.identity import storage
from services.identity.adapters.jwt import JwtRejected
from services.identity.adapters.relying_party import UpstreamError
from services.identity.commands import EndSession, UpstreamLogoutAnswer
from services.identity.domain.errors import UnsafeRequest
from services.identity.handlers.context import IdentityContext, with_query
from services.identity.handlers.revocations import announce_tokens
from shared.db import UnitOfWork
from shared.oidc import b64url, random_token

log = logging.getLogger(__name__)

PENDING_LOGOUT_TTL_SECONDS = 600


@dataclass(frozen=True)
class LoggedOut:
    location: str | None  # where the browser goes next; None: show the "signed out" page
    clear_cookie: bool = True  # False when the session ended is not the browser's own


@dataclass(frozen=True)
class ConfirmLogout:
    """Ask the person first (no valid ``id_token_hint``): a form posting ``token`` back."""

    token: str


def end_session(
    uow: UnitOfWork, ctx: IdentityContext, request: EndSession
) -> LoggedOut | ConfirmLogout:
    """Section 2: ``id_token_hint``, ``post_logout_redirect_uri`` (registered), ``state``.

    Without a hint naming a session (``sid``) the person is asked (section 2: a link or a
    redirect from any site must not sign them out): the session of the hub's cookie ends only
    on ``confirmation``, the POSTed token bound to that cookie.
    """
    params, cookie_sid = request.params, request.cookie_sid
    claims = _hint_claims(ctx, params.get("id_token_hint"))
    target = params.get("post_logout_redirect_uri") or None
    if target is not None:
        _check_target(uow, claims, target)
    if params.get("client_id") and claims and params["client_id"] != claims.get("aud"):
        raise UnsafeRequest("The sign-out request names two different services.")
    sid = str((claims or {}).get("sid") or "")
    if not sid:
        return _without_hint(uow, ctx, cookie_sid, request.confirmation)
    state = params.get("state") or None
    return _end(uow, ctx, sid, target, state, clear_cookie=cookie_sid in (None, sid))


def confirmation_token(ctx: IdentityContext, sid: str) -> str:
    """Anti-CSRF token of the confirmation form: only the cookie's holder can know it."""
    message = f"hub/v1/logout-confirmation\n{sid}".encode()
    key = ctx.settings.subject_secret.encode("utf-8")
    return b64url(hmac.new(key, message, hashlib.sha256).digest())


def _without_hint(
    uow: UnitOfWork, ctx: IdentityContext, cookie_sid: str | None, confirmation: str | None
) -> LoggedOut | ConfirmLogout:
    if not cookie_sid:
        return LoggedOut(None)  # no session in this browser: nothing to end, nothing to ask
    expected = confirmation_token(ctx, cookie_sid)
    sent = (confirmation or "").encode("utf-8", "replace")
    if not hmac.compare_digest(sent, expected.encode("ascii")):
        return ConfirmLogout(expected)
    return _end(uow, ctx, cookie_sid, None, None)


def _end(
    uow: UnitOfWork,
    ctx: IdentityContext,
    sid: str,
    target: str | None,
    state: str | None,
    clear_cookie: bool = True,
) -> LoggedOut:
    session, revoked = storage.take_session(uow, sid)
    announce_tokens(uow, "logout", revoked)
    back = with_query(target, {"state": state}) if target else None
    upstream_logout = _upstream_logout(uow, ctx, session, target, state) if session else None
    uow.commit()
    ctx.metrics.sessions_ended.labels("yes" if upstream_logout else "no").inc()
    return LoggedOut(upstream_logout or back, clear_cookie)


def _hint_claims(ctx: IdentityContext, hint: str | None) -> dict[str, Any] | None:
    """Section 2: an ID token the hub issued, expired or not."""
    if not hint:
        return None
    try:
        return ctx.keys.verify(hint, ctx.issuer, allow_expired=True)
    except JwtRejected:
        raise UnsafeRequest(
            "The sign-out request does not come from a service of the hub."
        ) from None


def _check_target(uow: UnitOfWork, claims: dict[str, Any] | None, target: str) -> None:
    """Section 3: only with an ID token, to an address registered for its client (exact match)."""
    if claims is None:
        raise UnsafeRequest("The sign-out request does not say which service sent it.")
    client = storage.find_client(uow, str(claims.get("aud")))
    if client is None or not client.registered_redirect(target):
        raise UnsafeRequest("The address to return to is not registered for this service.")


def _upstream_logout(
    uow: UnitOfWork,
    ctx: IdentityContext,
    session: dict[str, Any],
    target: str | None,
    state: str | None,
) -> str | None:
    """The upstream provider's logout URL, remembering where to go afterwards; None if none."""
    upstream = ctx.upstreams.get(session["provider_id"])
    if upstream is None or not session["upstream_id_token"]:
        return None
    upstream_state = random_token()
    try:
        url = upstream.end_session_url(session["upstream_id_token"], upstream_state)
    except UpstreamError as exc:
        log.warning("upstream %s logout unavailable: %s", upstream.provider.id, exc)
        return None
    if url is None:
        return None
    storage.add_pending_logout(
        uow,
        {
            "state": upstream_state,
            "provider_id": upstream.provider.id,
            "target": target,
            "client_state": state,
            "expires_at": ctx.now() + PENDING_LOGOUT_TTL_SECONDS,
        },
    )
    return url


def logout_callback(
    uow: UnitOfWork, ctx: IdentityContext, answer: UpstreamLogoutAnswer
) -> LoggedOut:
    """Back from the upstream provider's logout: on to the client, with its state."""
    state = answer.params.get("state") or ""
    pending = storage.take_pending_logout(uow, state, ctx.now()) if state else None
    uow.commit()
    if pending is None or pending["provider_id"] != answer.provider_id:
        raise UnsafeRequest("This sign-out is unknown or already completed.")
    if not pending["target"]:
        return LoggedOut(None)
    return LoggedOut(with_query(pending["target"], {"state": pending["client_state"]}))
