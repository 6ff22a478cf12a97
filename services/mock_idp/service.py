"""``hub run mock-idp``: a FranceConnect stand-in for development and tests (never production).

Endpoints (under the issuer = ``MOCK_IDP_PUBLIC_URL``): discovery, ``/api/v2/jwks``,
``/api/v2/authorize`` (GET/POST; ``login_hint=<identity key>`` logs that identity in at once,
otherwise a form with one ``identity`` field), ``/api/v2/token``, ``/api/v2/userinfo``
(``application/jwt``), ``/api/v2/session/end``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from nameko.extensions import DependencyProvider
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.mock_idp.adapters import signing_key
from services.mock_idp.adapters.identities import load_identities
from services.mock_idp.domain.clients import mock_clients
from services.mock_idp.domain.provider import PATHS, MockError, MockProvider
from services.mock_idp.web import pages
from shared.dependencies import hub_settings
from shared.upstreams import load_upstreams
from shared.web import HttpError, http, json_response


class MockState(DependencyProvider):
    """The provider, its key pair (kept under the data directory) and its codes and tokens."""

    def setup(self) -> None:
        settings = hub_settings(self.container.config)
        if settings.production:
            raise RuntimeError(
                "the mock identity provider refuses to start when HUB_ENV=production"
            )
        issuer = settings.public_url("mock-idp")
        clients = mock_clients(load_upstreams(settings), issuer, settings.public_url("identity"))
        identities = load_identities(settings.mock_idp_identities_file)
        key = signing_key.load_or_create(settings.data_dir / "mock-idp" / "signing-key.jwk")
        self.provider = MockProvider(issuer, identities, clients, key=key)

    def get_dependency(self, worker_ctx: Any) -> MockProvider:
        return self.provider


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
        params = _single_values(request.values)
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
            answer = self.idp.token(
                _single_values(request.form), request.headers.get("Authorization")
            )
        except MockError as exc:
            return _oauth_error(exc)
        return json_response(answer, headers={"Cache-Control": "no-store"})

    @http("GET,POST", PATHS["userinfo_endpoint"])
    def userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise MockError("invalid_token", "a Bearer token is required", 401)
            signed = self.idp.userinfo(token.strip())
        except MockError as exc:
            return _oauth_error(exc)
        return Response(signed, mimetype="application/jwt", headers={"Cache-Control": "no-store"})

    @http("GET", PATHS["end_session_endpoint"])
    def end_session(self, request: Request) -> Response:
        # The mock keeps no session: logging out is only going back where the client asked.
        target = request.args.get("post_logout_redirect_uri", "")
        known = {uri for c in self.idp.clients.values() for uri in c.redirect_uris}
        if not any(target.startswith(uri.split("/oidc-callback/")[0] + "/") for uri in known):
            raise HttpError(400, "invalid_request", "unknown post_logout_redirect_uri")
        state = request.args.get("state", "")
        return redirect(target + ("?" + urlencode({"state": state}) if state else ""))


def _single_values(values: Any) -> dict[str, str]:
    return {key: values.get(key, "") for key in values}


def _oauth_error(exc: MockError) -> Response:
    headers = {"Cache-Control": "no-store"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    return json_response(
        {"error": exc.error, "error_description": exc.description}, exc.status, headers
    )
