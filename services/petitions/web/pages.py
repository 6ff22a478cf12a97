"""The pages' nameko entrypoints; the petitions service inherits them (like ``HealthEndpoints``).

Needs the service's ``db`` (Database), ``config`` (Config), ``tokens`` (AccessTokens),
``metrics`` (EntrypointMetrics), ``limits`` (RateLimits), ``rules`` (the deployment's petition
rules) and ``signature_desk`` (the SignatureDesk).

Citizens: ``/`` list, ``/petitions/<id>`` detail with the count, ``/petitions/new`` create,
``/petitions/<id>/signature`` sign (POST), ``/petitions/<id>/signature/withdrawal`` withdraw
(POST), ``/petitions/<id>/receipt``, ``/me/signatures``; ``/login``, ``/auth/callback``,
``/logout`` (POST), ``/signed-out``. Authors and co-sponsors (drafting.py): the author's part
of ``/petitions/<id>``, ``/petitions/<id>/edit`` (GET, POST), ``/petitions/<id>/submission``
(POST), the co-sponsor link ``/petitions/<id>?sponsor_token=`` and
``/petitions/<id>/sponsors`` (POST), ``/me/petitions``. Operators: ``/moderation`` (``?status=``),
``/moderation/login``, ``/moderation/logout`` (POST), ``/moderation/petitions/<id>`` (POST).
``/static/<name>``: the style sheet, the live-count script and the receipt-secret script.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from services.petitions.web import drafting, moderation, render, views
from services.petitions.web.api import signature_outcomes
from services.petitions.web.context import Web
from shared.web import HttpError, http


class WebPages:
    db: Any
    config: Any
    tokens: Any
    metrics: Any
    limits: Any
    rules: Any
    signature_desk: Any

    def _web(self, request: Request) -> Web:
        return Web.open(request, self.config, self.tokens)

    def _count_signature(self, outcome: str) -> None:
        """The API's signature counter, so signatures made here are counted too."""
        signature_outcomes(self.metrics).labels(outcome).inc()

    # -- citizens --------------------------------------------------------------------------

    @http("GET", "/")
    def page_list(self, request: Request) -> Response:
        return views.petition_list(self._web(request), self.db)

    @http("GET", "/petitions/new")
    def page_new_petition(self, request: Request) -> Response:
        return views.new_petition_form(self._web(request))

    @http("POST", "/petitions/new")
    def page_create_petition(self, request: Request) -> Response:
        return views.create_petition(self._web(request), self.db, self.rules.min_sponsors)

    @http("GET", "/petitions/<string:petition_id>")
    def page_petition(self, request: Request, petition_id: str) -> Response:
        return views.petition_detail(
            self._web(request), self.db, petition_id, self.rules.min_sponsors
        )

    @http("POST", "/petitions/<string:petition_id>/signature")
    def page_sign(self, request: Request, petition_id: str) -> Response:
        self.limits.check("sign_per_address", self.limits.address(request))
        write = self.signature_desk.sign
        web, transparency = self._web(request), self.config.public_url("transparency")
        return views.sign(web, self.db, petition_id, self._count_signature, write, transparency)

    @http("POST", "/petitions/<string:petition_id>/signature/withdrawal")
    def page_withdraw(self, request: Request, petition_id: str) -> Response:
        return views.withdraw(self._web(request), self.db, petition_id)

    @http("GET", "/petitions/<string:petition_id>/receipt")
    def page_receipt(self, request: Request, petition_id: str) -> Response:
        return views.receipt_page(self._web(request), self.db, petition_id)

    @http("GET", "/me/signatures")
    def page_my_signatures(self, request: Request) -> Response:
        return views.my_signatures(self._web(request), self.db)

    # -- authors and co-sponsors (before moderation) ----------------------------------------

    @http("GET", "/petitions/<string:petition_id>/edit")
    def page_edit_draft(self, request: Request, petition_id: str) -> Response:
        return drafting.edit_form(self._web(request), self.db, petition_id)

    @http("POST", "/petitions/<string:petition_id>/edit")
    def page_save_draft(self, request: Request, petition_id: str) -> Response:
        return drafting.save_draft(self._web(request), self.db, petition_id)

    @http("POST", "/petitions/<string:petition_id>/submission")
    def page_submit_draft(self, request: Request, petition_id: str) -> Response:
        minimum = self.rules.min_sponsors
        return drafting.submit(self._web(request), self.db, petition_id, minimum)

    @http("POST", "/petitions/<string:petition_id>/sponsors")
    def page_sponsor(self, request: Request, petition_id: str) -> Response:
        return drafting.sponsor(self._web(request), self.db, petition_id)

    @http("GET", "/me/petitions")
    def page_my_petitions(self, request: Request) -> Response:
        return drafting.my_petitions(self._web(request), self.db)

    # -- signing in and out ----------------------------------------------------------------

    @http("GET", "/login")
    def page_login(self, request: Request) -> Response:
        return views.start_login(self._web(request))

    @http("GET", "/auth/callback")
    def page_login_callback(self, request: Request) -> Response:
        return views.finish_login(self._web(request), self.tokens.claims)

    @http("POST", "/logout")
    def page_logout(self, request: Request) -> Response:
        return views.logout(self._web(request))

    @http("GET", "/signed-out")
    def page_signed_out(self, request: Request) -> Response:
        return views.signed_out(self._web(request))

    # -- operators -------------------------------------------------------------------------

    @http("GET", "/moderation")
    def page_moderation(self, request: Request) -> Response:
        return moderation.queue(self._web(request), self.db)

    @http("GET", "/moderation/login")
    def page_operator_login_form(self, request: Request) -> Response:
        return moderation.sign_in_form(self._web(request))

    @http("POST", "/moderation/login")
    def page_operator_login(self, request: Request) -> Response:
        return moderation.sign_in(self._web(request), self.tokens.claims, self.limits)

    @http("POST", "/moderation/logout")
    def page_operator_logout(self, request: Request) -> Response:
        return moderation.sign_out(self._web(request))

    @http("POST", "/moderation/petitions/<string:petition_id>")
    def page_moderate(self, request: Request, petition_id: str) -> Response:
        return moderation.decide(self._web(request), self.db, petition_id, self.rules)

    # -- assets ----------------------------------------------------------------------------

    @http("GET", "/static/<string:name>")
    def page_static(self, request: Request, name: str) -> Response:
        found = render.static_file(name)
        if found is None:
            raise HttpError(404, "not_found", "no such file")
        return found
