"""The pages of a petition before its moderation: its author's draft, co-sponsoring by link.

- the author's part of the petition page (``/petitions/<id>``, where creating a petition
  lands): the co-sponsor link to share, the co-sponsors counted against the minimum
  (``HUB_PETITION_MIN_SPONSORS``), editing while nobody co-sponsors, submitting;
- ``/petitions/<id>/edit`` (GET, POST): the draft's form, with the API's checks
  (``PATCH /api/petitions/{id}``);
- ``/petitions/<id>/submission`` (POST): to moderation (``POST .../submission``);
- the co-sponsor link is the petition page with ``?sponsor_token=`` (as for
  ``GET /api/petitions/{id}``); whoever holds it reads the draft and, signed in, co-sponsors
  it through ``/petitions/<id>/sponsors`` (POST; ``POST .../sponsors``);
- ``/me/petitions``: the petitions and drafts a citizen wrote.

The use cases are the API's (``services.petitions.handlers.drafts``); their refusals are shown on
the page, as when signing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from services.petitions import domain
from services.petitions.domain import Citizen, Petition, PetitionError, Status
from services.petitions.handlers import drafts, petitions
from services.petitions.handlers.petitions import PetitionView
from services.petitions.schemas import MAX_TOKEN_LENGTH, TEXT_LENGTH, TITLE_LENGTH
from services.petitions.web import forms
from services.petitions.web.context import Web, login_url
from services.petitions.web.replies import citizen_form, forbidden, message, not_found, refuse
from shared.db import UnitOfWork

LINK_FIELD = "sponsor_token"  # the link's query parameter, and the co-sponsor form's field


@dataclass(frozen=True)
class Drafting:
    """The petition page's part before moderation: its author's, or a link holder's."""

    for_author: bool
    is_draft: bool
    sponsor_count: int
    min_sponsors: int
    link: str = ""  # the author's: the co-sponsor link to share
    token: str = ""  # a link holder's: sent back with the co-sponsor form
    sponsored_at: datetime | None = None  # when this link holder co-sponsored it

    @property
    def missing(self) -> int:
        return max(0, self.min_sponsors - self.sponsor_count)

    @property
    def can_edit(self) -> bool:
        """NOTE: co-sponsors vouched for this very text (domain ``Petition.edit``)."""
        return self.is_draft and self.sponsor_count == 0

    @property
    def can_submit(self) -> bool:
        return self.is_draft and self.missing == 0


# -- the petition page -----------------------------------------------------------------------


def link_token(web: Web) -> str | None:
    """The co-sponsor link's token in this page's address, if it carries one."""
    token = web.request.args.get(LINK_FIELD)
    return token if token and len(token) <= MAX_TOKEN_LENGTH else None


def part_of_page(
    web: Web,
    uow: UnitOfWork,
    view: PetitionView,
    min_sponsors: int,
    token: str | None,
) -> Drafting | None:
    petition = view.petition
    if petition.status not in Status.BEFORE_MODERATION or web.operator:
        return None
    is_draft = petition.status == Status.DRAFT
    if view.by_author:
        link = sponsor_link(web, petition) if petition.sponsor_token else ""
        return Drafting(True, is_draft, view.sponsor_count, min_sponsors, link=link)
    if not token or not petition.sponsor_link_is(token):
        return None
    citizen = web.citizen
    sponsored = drafts.sponsored_at(uow, petition.id, citizen.sub) if citizen else None
    return Drafting(False, is_draft, view.sponsor_count, min_sponsors, "", token, sponsored)


def sponsor_link(web: Web, petition: Petition) -> str:
    """What the author shares: the petition page at this service's public address."""
    return web.client.base_url + _link_path(petition.id, petition.sponsor_token or "")


def bad_link(web: Web) -> Response:
    return message(web, 404, "sponsor_link_bad_title", "sponsor_link_bad_text")


def _link_path(petition_id: str, token: str) -> str:
    return f"/petitions/{petition_id}?{urlencode({LINK_FIELD: token})}"


# -- the author's draft ----------------------------------------------------------------------


def edit_form(web: Web, uow: UnitOfWork, petition_id: str) -> Response:
    citizen = web.citizen
    if citizen is None:
        return web.redirect(login_url(web.here()))
    view = _own(uow, petition_id, citizen)
    if view is None:
        return not_found(web)
    petition = view.petition
    filled = forms.PetitionForm(petition.title, petition.text, petition.min_acr)
    return _not_editable(web, view) or _edit_page(web, petition.id, filled)


def save_draft(web: Web, uow: UnitOfWork, petition_id: str) -> Response:
    citizen, refused = citizen_form(web, f"/petitions/{petition_id}/edit", web.csrf_ok())
    if refused:
        return refused
    view = _own(uow, petition_id, citizen)
    if view is None:
        return not_found(web)
    turned_back = _not_editable(web, view)
    if turned_back:
        return turned_back
    filled = forms.petition_form(web.request.form)
    changes = None if filled.errors else forms.draft_changes(filled)
    if changes is None:
        return _edit_page(web, petition_id, filled, http_status=400)
    try:
        drafts.edit_draft(petition_id, citizen, changes, uow)
    except PetitionError as exc:
        return _refused(web, uow, exc, f"/petitions/{petition_id}")
    web.session.flash("flash_draft_saved")
    return web.redirect(f"/petitions/{petition_id}")


def submit(web: Web, uow: UnitOfWork, petition_id: str, min_sponsors: int) -> Response:
    back = f"/petitions/{petition_id}"
    citizen, refused = citizen_form(web, back, web.csrf_ok())
    if refused:
        return refused
    try:
        drafts.submit_petition(petition_id, citizen, min_sponsors, uow)
    except PetitionError as exc:
        return _refused(web, uow, exc, back)
    web.session.flash("flash_submitted")
    return web.redirect(back)


def _own(uow: UnitOfWork, petition_id: str, citizen: Citizen) -> PetitionView | None:
    """The petition if ``citizen`` wrote it; others learn nothing (as the API's 404)."""
    try:
        view = petitions.get_petition(petition_id, citizen.sub, False, uow)
    except PetitionError:
        return None
    return view if view.by_author else None


def _not_editable(web: Web, view: PetitionView) -> Response | None:
    if view.petition.status != Status.DRAFT:
        refusal = "err_not_a_draft"
    elif view.sponsor_count:
        refusal = "err_draft_has_sponsors"
    else:
        return None
    web.session.flash(refusal, "error")
    return web.redirect(f"/petitions/{view.petition.id}")


def _edit_page(
    web: Web, petition_id: str, filled: forms.PetitionForm, http_status: int = 200
) -> Response:
    return web.page(
        "edit.html",
        http_status=http_status,
        petition_id=petition_id,
        form=filled,
        errors=filled.errors,
        levels=domain.ACR_LEVELS,
        title_bounds={"min": TITLE_LENGTH[0], "max": TITLE_LENGTH[1]},
        text_bounds={"min": TEXT_LENGTH[0], "max": TEXT_LENGTH[1]},
    )


def _refused(web: Web, uow: UnitOfWork, exc: PetitionError, back: str) -> Response:
    if isinstance(exc, domain.NotFound | domain.Forbidden):
        uow.rollback()
        return not_found(web) if isinstance(exc, domain.NotFound) else forbidden(web)
    return refuse(web, uow, exc, back)


# -- co-sponsoring by link -------------------------------------------------------------------


def sponsor(web: Web, uow: UnitOfWork, petition_id: str) -> Response:
    token = str(web.request.form.get(LINK_FIELD, ""))
    if not 0 < len(token) <= MAX_TOKEN_LENGTH:
        return bad_link(web)
    back = _link_path(petition_id, token)
    citizen, refused = citizen_form(web, back, web.csrf_ok())
    if refused:
        return refused
    try:
        drafts.sponsor_petition(petition_id, citizen, token, uow)
    except domain.NotFound:  # no such petition, or not its link: nothing to go back to
        uow.rollback()
        return bad_link(web)
    except PetitionError as exc:
        return refuse(web, uow, exc, back)
    web.session.flash("flash_sponsored")
    return web.redirect(back)


# -- my petitions ----------------------------------------------------------------------------


def my_petitions(web: Web, uow: UnitOfWork) -> Response:
    citizen = web.citizen
    if citizen is None:
        return web.redirect(login_url(web.here()))
    return web.page(
        "my_petitions.html",
        nav="my_petitions",
        petitions=drafts.petitions_by(uow, citizen.sub),
    )
