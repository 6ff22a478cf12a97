"""The operators' pages: their sign-in, the moderation queue, and their decisions.

NOTE: operators are OAuth clients of the identity service (client credentials), not people
signed in upstream; until identity has operator accounts, the moderation desk signs in with
its operator client's id and secret, which go to the token endpoint and are never stored.
The session then holds the short-lived operator token (``petitions:moderate``).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from services.petitions.domain import REJECTION_REASONS, PetitionError, PetitionRules, Status
from services.petitions.handlers import petitions
from services.petitions.web import forms, login
from services.petitions.web.context import Web
from shared.db import UnitOfWork
from shared.ratelimit import RateLimits
from shared.scopes import PETITIONS_MODERATE, has_scope
from shared.web import HttpError

LOGIN_FAILURES = "operator_login_failures_per_address"
QUEUE_STATUSES = (Status.SUBMITTED, Status.OPEN, Status.CLOSED)
QUEUE_SIZE = 100
DONE_MESSAGE = {
    "publish": "flash_published",
    "reject": "flash_rejected",
    "hide": "flash_hidden",
    "close": "flash_closed",
}


def sign_in_form(
    web: Web, http_status: int = 200, error_id: str | None = None, **values: Any
) -> Response:
    error = forms.FieldError("client_id", error_id, values) if error_id else None
    return web.page(
        "operator_login.html",
        http_status=http_status,
        nav="moderation",
        errors=[error] if error else [],
        id_error=error,
    )


def sign_in(web: Web, verify_access_token: Any, limits: RateLimits) -> Response:
    """NOTE: failed sign-ins are limited per person's address here, before identity sees them:
    identity only sees this service's address, which many people share."""
    if not web.csrf_ok():
        web.session.flash("flash_csrf", "error")
        return web.redirect("/moderation/login")
    client_id = str(web.request.form.get("client_id", "")).strip()
    secret = str(web.request.form.get("client_secret", ""))
    if not client_id or not secret:
        return sign_in_form(web, 400, "op_error_required")
    address = limits.address(web.request)
    wait = limits.exhausted(LOGIN_FAILURES, address)
    if wait is not None:
        return _too_many_failures(web, wait)
    try:
        token = login.operator_token(web.client, client_id, secret)
        claims = verify_access_token(token)
    except (login.LoginFailed, HttpError):
        limits.failed(LOGIN_FAILURES, address)
        return sign_in_form(web, 401, "op_login_error")
    if not has_scope(claims, PETITIONS_MODERATE):
        limits.failed(LOGIN_FAILURES, address)
        return sign_in_form(web, 403, "op_login_error")
    web.session.sign_in("operator", token, int(claims["exp"]), None)
    return web.redirect("/moderation")


def _too_many_failures(web: Web, wait: int) -> Response:
    response = sign_in_form(web, 429, "op_login_rate_limited", seconds=wait)
    response.headers["Retry-After"] = str(wait)
    return response


def sign_out(web: Web) -> Response:
    if web.csrf_ok():
        web.session.sign_out()
    return web.redirect("/moderation/login")


def queue(web: Web, uow: UnitOfWork) -> Response:
    if not web.operator:
        return web.redirect("/moderation/login")
    status = web.request.args.get("status")
    status = status if status in QUEUE_STATUSES else Status.SUBMITTED
    found = petitions.list_petitions(status, None, (QUEUE_SIZE, 0), True, uow)
    return web.page(
        "moderation.html",
        nav="moderation",
        status=status,
        statuses=QUEUE_STATUSES,
        petitions=found,
        reasons=list(REJECTION_REASONS),
    )


def decide(web: Web, uow: UnitOfWork, petition_id: str, rules: PetitionRules) -> Response:
    if not web.operator:
        return web.redirect("/moderation/login")
    back = web.request.form.get("back")
    back_to = f"/moderation?status={back}" if back in QUEUE_STATUSES else "/moderation"
    if not web.csrf_ok():
        web.session.flash("flash_csrf", "error")
        return web.redirect(back_to)
    decision = forms.moderation_decision(web.request.form)
    if decision is None:
        web.session.flash("error_reason_required", "error")
        return web.redirect(back_to)
    try:
        petitions.moderate(petition_id, decision, rules, uow)
    except PetitionError as exc:
        uow.rollback()
        known = exc.code in ("not_found", "invalid_transition")
        web.session.flash(f"err_{exc.code}" if known else "err_generic", "error")
        return web.redirect(back_to)
    web.session.flash(DONE_MESSAGE[decision.decision])
    return web.redirect(back_to)
