"""``hub run mock-idp``: a FranceConnect stand-in for development and tests (never production).

Endpoints (under the issuer = ``MOCK_IDP_PUBLIC_URL``): discovery, ``/api/v2/jwks``,
``/api/v2/authorize`` (GET/POST; ``login_hint=<identity key>`` logs that identity in at once,
otherwise a form with one ``identity`` field), ``/api/v2/token``, ``/api/v2/userinfo``
(``application/jwt``), ``/api/v2/session/end``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.mock_idp import schemas
from services.mock_idp.dependencies import MockState
from services.mock_idp.domain.provider import PATHS, MockError
from services.mock_idp.web import pages
from services.mock_idp.web.errors import NO_STORE, oauth_error
from shared.web import HttpError, http, json_response


class MockIdentityProvider:
    name = "mock_idp"

    idp = MockState()

    @http("GET", "/healthz")
    def healthz(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    @http("GET", "/.well-known/openid-configuration")
    def discovery(self, request: Request) -> Response:
        return json_response(self.idp.metadata())

    @http("GET", PATHS["jwks_uri"])
    def jwks(self, request: Request) -> Response:
        return json_response(self.idp.jwks())

    @http("GET,POST", PATHS["authorization_endpoint"])
    def authorize(self, request: Request) -> Response:
        params = schemas.single_values(request.values)
        try:
            login = self.idp.login_request(params)
        except MockError as exc:
            if exc.redirect:
                return redirect(self.idp.error_redirect(params, exc))
            return pages.error_page(400, exc.error, exc.description)
        chosen = params.get("identity") if request.method == "POST" else login.login_hint
        if chosen in self.idp.identities:
            return redirect(self.idp.log_in(login, chosen))
        action = self.idp.issuer + PATHS["authorization_endpoint"]
        return pages.chooser_page(action, params, self.idp.identities.values())

    @http("POST", PATHS["token_endpoint"])
    def token(self, request: Request) -> Response:
        try:
            client_id, secret = schemas.client_credentials(request)
            answer = self.idp.token(schemas.single_values(request.form), client_id, secret)
        except MockError as exc:
            return oauth_error(exc)
        return json_response(answer, headers=NO_STORE)

    @http("GET,POST", PATHS["userinfo_endpoint"])
    def userinfo(self, request: Request) -> Response:
        try:
            signed = self.idp.userinfo(schemas.bearer_token(request))
        except MockError as exc:
            return oauth_error(exc)
        return Response(signed, mimetype="application/jwt", headers=NO_STORE)

    @http("GET", PATHS["end_session_endpoint"])
    def end_session(self, request: Request) -> Response:
        # The mock keeps no session: logging out is only going back where the client asked.
        target = request.args.get("post_logout_redirect_uri", "")
        if not self.idp.knows_post_logout_uri(target):
            raise HttpError(400, "invalid_request", "unknown post_logout_redirect_uri")
        state = request.args.get("state", "")
        return redirect(target + ("?" + urlencode({"state": state}) if state else ""))
