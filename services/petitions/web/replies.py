"""Answers several citizens' pages share: turning a form back, a refusal, a page not found."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from services.petitions.domain import PetitionError
from services.petitions.web import i18n
from services.petitions.web.context import Web, login_url
from shared.db import UnitOfWork


def citizen_form(web: Web, back: str, genuine: bool) -> tuple[Any, Response | None]:
    """The signed-in citizen posting a genuine form, or the answer that turns them back.

    NOTE: ``genuine`` is the view's own ``web.csrf_ok()``: each POST view shows its CSRF check
    (tests/security/test_web_edge.py reads them there).
    """
    citizen = web.citizen
    if citizen is None:
        return None, web.redirect(login_url(back))
    if not genuine:
        web.session.flash("flash_csrf", "error")
        return None, web.redirect(back)
    return citizen, None


def refuse(web: Web, uow: UnitOfWork, exc: PetitionError, back: str) -> Response:
    """The use case said no: nothing is kept, and the page says why (POST/redirect/GET)."""
    uow.rollback()
    message_id = f"err_{exc.code}"
    known = i18n.MESSAGES[web.lang]
    web.session.flash(message_id if message_id in known else "err_generic", "error")
    return web.redirect(back)


def not_found(web: Web) -> Response:
    return message(web, 404, "not_found_title", "not_found_text")


def forbidden(web: Web) -> Response:
    return message(web, 403, "forbidden_title", "forbidden_text")


def message(web: Web, http_status: int, title_id: str, text_id: str) -> Response:
    return web.page("message.html", http_status=http_status, title_id=title_id, text_id=text_id)
