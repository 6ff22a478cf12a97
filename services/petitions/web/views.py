"""What each citizens' page shows and does: between the entrypoints and the use cases."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from werkzeug.wrappers import Response

from services.petitions import schemas
from services.petitions.commands import SignRequest
from services.petitions.domain import ACR_LEVELS, PetitionError, Receipt, Status
from services.petitions.handlers import drafts, petitions, signatures
from services.petitions.schemas import MAX_SEARCH_LENGTH, TEXT_LENGTH, TITLE_LENGTH
from services.petitions.web import drafting, forms, login
from services.petitions.web.context import Web, login_url, safe_next
from services.petitions.web.replies import citizen_form, not_found, refuse
from services.petitions.web.session import (
    clear_login_cookie,
    read_login_cookie,
    set_login_cookie,
)
from shared.clock import utcnow
from shared.db import UnitOfWork
from shared.scopes import CITIZEN_PETITIONS, has_scope
from shared.web import HttpError

log = logging.getLogger(__name__)

PAGE_SIZE = 20
LISTED_STATUSES = (Status.OPEN, Status.CLOSED)


# -- reading ---------------------------------------------------------------------------------


def petition_list(web: Web, uow: UnitOfWork) -> Response:
    args = web.request.args
    status = args.get("status") if args.get("status") in LISTED_STATUSES else None
    search = (args.get("q") or "").strip()[:MAX_SEARCH_LENGTH] or None
    page = _page_number(args.get("page"))
    found = petitions.list_petitions(
        status, search, (PAGE_SIZE + 1, (page - 1) * PAGE_SIZE), False, uow
    )
    return web.page(
        "list.html",
        nav="list",
        petitions=found[:PAGE_SIZE],
        status=status or "",
        search=search or "",
        page=page,
        has_next=len(found) > PAGE_SIZE,
        statuses=LISTED_STATUSES,
    )


def petition_detail(
    web: Web, uow: UnitOfWork, petition_id: str, min_sponsors: int = 0, **extra: Any
) -> Response:
    """The petition; before moderation, its author's part or a co-sponsor's (drafting.py)."""
    citizen = web.citizen
    link = drafting.link_token(web)
    try:
        view = petitions.get_petition(
            petition_id, citizen.sub if citizen else None, web.operator, uow, link
        )
    except PetitionError:
        return drafting.bad_link(web) if link else not_found(web)
    signed = signatures.signed_at(uow, petition_id, citizen.sub) if citizen else None
    # The withdraw form names the signature's commitment: the script sends a secret its browser
    # keeps only if that secret is this signature's (not one of an earlier, withdrawn one).
    commitment = (
        signatures.own_commitment(uow, petition_id, citizen.sub) if signed and citizen else None
    )
    receipt = web.session.data.get("receipt") or {}
    return web.page(
        "detail.html",
        http_status=extra.pop("http_status", 200),
        petition=view.petition,
        count=view.signature_count,
        by_departement=sorted((view.by_departement or {}).items()),
        is_open=view.petition.is_open_at(utcnow()),
        signed_at=signed,
        commitment=commitment or "",
        has_receipt=receipt.get("petition_id") == petition_id,
        departement=extra.pop("departement", ""),
        departement_error=extra.pop("departement_error", None),
        reasons=_reasons(),
        drafting=drafting.part_of_page(web, uow, view, min_sponsors, link),
        **extra,
    )


def receipt_page(web: Web, uow: UnitOfWork, petition_id: str) -> Response:
    citizen = web.citizen
    if citizen is None:
        return web.redirect(login_url(web.here()))
    try:
        view = petitions.get_petition(petition_id, citizen.sub, False, uow)
    except PetitionError:
        return not_found(web)
    receipt = web.session.data.get("receipt") or {}
    if receipt.get("petition_id") != petition_id:
        receipt = {}
    elif receipt.get("secret_shown"):
        receipt = {**receipt, "secret": None}  # shown once; kept to reveal it on withdrawal
    elif receipt.get("secret"):
        web.session.keep("receipt", {**receipt, "secret_shown": True})
    return web.page("receipt.html", petition=view.petition, receipt=receipt)


def my_signatures(web: Web, uow: UnitOfWork) -> Response:
    citizen = web.citizen
    if citizen is None:
        return web.redirect(login_url(web.here()))
    return web.page(
        "my_signatures.html", nav="mine", signatures=signatures.signatures_of(uow, citizen.sub)
    )


# -- signing ---------------------------------------------------------------------------------


def sign(
    web: Web,
    uow: UnitOfWork,
    petition_id: str,
    count: Callable[[str], None] = lambda _: None,
    write: Callable[[SignRequest], Receipt] | None = None,
    transparency_url: str = "",
) -> Response:
    """``write``: the service's group commit (dependencies.SignatureDesk.sign), or one
    transaction. With JavaScript the browser sends a ``commitment`` and keeps its secret (the hub
    never sees it); without, the hub makes the secret. The receipt, with a hub-made secret, is
    kept in the session (the citizen's own signed cookie, not the database): shown on the
    receipt page, revealed when withdrawing."""
    citizen, refused = citizen_form(web, f"/petitions/{petition_id}", web.csrf_ok())
    if refused:
        return refused
    departement, error = forms.departement(web.request.form)
    commitment, bad_commitment = forms.commitment(web.request.form)
    if error or bad_commitment:
        raw = str(web.request.form.get("departement", ""))
        return petition_detail(
            web,
            uow,
            petition_id,
            http_status=400,
            errors=[e for e in (error, bad_commitment) if e],
            departement=raw,
            departement_error=error,
        )
    try:
        request = SignRequest(petition_id, citizen, departement, commitment)  # type: ignore[arg-type]
        receipt = write(request) if write else signatures.sign_batch_of_one(request, uow)
    except PetitionError as exc:
        count(exc.code)
        return refuse(web, uow, exc, f"/petitions/{petition_id}")
    count("accepted")
    kept = asdict(receipt)
    kept["proof_url"] = schemas.receipt_view(receipt, transparency_url)["proof_url"]
    kept["browser_secret"] = commitment is not None  # the receipt page's script shows it
    web.session.keep("receipt", kept)
    return web.redirect(f"/petitions/{petition_id}/receipt")


def withdraw(web: Web, uow: UnitOfWork, petition_id: str) -> Response:
    citizen, refused = citizen_form(web, f"/petitions/{petition_id}", web.csrf_ok())
    if refused:
        return refused
    # The secret the browser keeps (the script fills the form), else the hub-made one of this
    # session, else none: the log's withdraw then says "-".
    secret, bad_secret = forms.receipt_secret(web.request.form)
    if bad_secret:
        return petition_detail(web, uow, petition_id, http_status=400, errors=[bad_secret])
    kept = web.session.data.get("receipt") or {}
    if secret is None and kept.get("petition_id") == petition_id and kept.get("secret"):
        secret = bytes.fromhex(kept["secret"])
    try:
        signatures.withdraw_signature(petition_id, citizen, uow, secret)  # type: ignore[arg-type]
    except PetitionError as exc:
        return refuse(web, uow, exc, f"/petitions/{petition_id}")
    if (web.session.data.get("receipt") or {}).get("petition_id") == petition_id:
        web.session.keep("receipt", None)
    web.session.flash("flash_withdrawn")
    return web.redirect(f"/petitions/{petition_id}")


# -- creating --------------------------------------------------------------------------------


def new_petition_form(web: Web) -> Response:
    if web.citizen is None:
        return web.redirect(login_url("/petitions/new"))
    return _petition_form_page(web, forms.PetitionForm())


def create_petition(web: Web, uow: UnitOfWork, min_sponsors: int = 0) -> Response:
    citizen, refused = citizen_form(web, "/petitions/new", web.csrf_ok())
    if refused:
        return refused
    filled = forms.petition_form(web.request.form)
    if filled.errors:
        return _petition_form_page(web, filled, http_status=400)
    try:
        command = forms.new_petition(filled)
    except HttpError:  # the form's checks and the API's disagree: show the form again
        return _petition_form_page(web, filled, http_status=400)
    # NOTE: where co-sponsors are required the page makes a draft, to gather them by its link.
    command = replace(command, draft=min_sponsors > 0)
    created = drafts.create_petition(command, citizen.sub, uow, min_sponsors)  # type: ignore[union-attr]
    petition = created.petition
    web.session.flash("flash_draft_created" if command.draft else "flash_created")
    return web.redirect(f"/petitions/{petition.id}")  # its author's page: the co-sponsor link


def _petition_form_page(web: Web, filled: forms.PetitionForm, http_status: int = 200) -> Response:
    return web.page(
        "new.html",
        http_status=http_status,
        nav="new",
        form=filled,
        errors=filled.errors,
        levels=ACR_LEVELS,
        title_bounds={"min": TITLE_LENGTH[0], "max": TITLE_LENGTH[1]},
        text_bounds={"min": TEXT_LENGTH[0], "max": TEXT_LENGTH[1]},
    )


# -- signing in and out ----------------------------------------------------------------------


def start_login(web: Web) -> Response:
    try:
        location, kept = login.start(web.client, web.lang, web.request.args.get("login_hint"))
    except login.LoginFailed as exc:
        return login_failed(web, exc)
    response = web.redirect(location)
    kept["next"] = safe_next(web.request.args.get("next"))
    set_login_cookie(response, web.key, kept, web.client.secure)
    return response


def finish_login(web: Web, verify_access_token: Any) -> Response:
    """The identity service sent the browser back: check, redeem, verify, open the session."""
    kept = read_login_cookie(web.request, web.key)
    try:
        if kept is None:
            raise login.LoginFailed("state_mismatch", "no sign-in under way in this browser")
        tokens = login.finish(web.client, kept, dict(web.request.args.items()))
        claims = _citizen_claims(verify_access_token, tokens.access_token)
    except login.LoginFailed as exc:
        return clear_login_cookie(login_failed(web, exc), web.client.secure)
    web.session.sign_in("citizen", tokens.access_token, int(claims["exp"]), tokens.id_token)
    web.session.flash("flash_signed_in")
    response = web.redirect(safe_next(kept.get("next")))
    return clear_login_cookie(response, web.client.secure)


def _citizen_claims(verify_access_token: Any, access_token: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = verify_access_token(access_token)
    except HttpError as exc:
        reason = "refused" if exc.status == 401 else "unavailable"
        raise login.LoginFailed(reason, exc.message) from None
    if not has_scope(claims, CITIZEN_PETITIONS) or "acr" not in claims:
        raise login.LoginFailed("refused", "the access token is not a citizen's for petitions")
    return claims


def logout(web: Web) -> Response:
    if not web.csrf_ok():
        web.session.flash("flash_csrf", "error")
        return web.redirect("/")
    target = login.end_session_url(web.client, web.session.id_token)
    web.session.sign_out()
    return web.redirect(target)


def signed_out(web: Web) -> Response:
    return web.page("message.html", title_id="signed_out_title", text_id="signed_out_text")


def login_failed(web: Web, exc: login.LoginFailed) -> Response:
    log.warning("sign-in did not complete (%s): %s", exc.reason, exc)
    return web.page(
        "message.html",
        http_status=503 if exc.reason == "unavailable" else 400,
        title_id="login_failed_title",
        text_id=f"login_{exc.reason}",
        retry_url="/login",
    )


# -- shared ----------------------------------------------------------------------------------


def _reasons() -> list[str]:
    from services.petitions.domain import REJECTION_REASONS

    return list(REJECTION_REASONS)


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1
