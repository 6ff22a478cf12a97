"""``hub run identity``: the hub's OpenID Provider, federating upstream identity providers.

Endpoints (under the issuer = ``IDENTITY_PUBLIC_URL``): ``/.well-known/openid-configuration``,
``/jwks``, ``/authorize``, ``/oidc-callback/<provider id>``, ``/token``, ``/userinfo``,
``/revoke``, ``/session/end``, ``/logout-callback/<provider id>``, and ``/healthz``, ``/readyz``.
"""

from __future__ import annotations

import logging

from nameko.timer import timer
from werkzeug.wrappers import Request, Response

from services.identity import schemas
from services.identity.dependencies import ClientAuthFailures, OpenIdProvider
from services.identity.domain.discovery import provider_metadata
from services.identity.handlers import (
    login,
    logout,
    maintenance,
    tokens,
    upstream_login,
    userinfo,
)
from services.identity.schemas import BROWSER_COOKIE, CONFIRMATION_FIELD, SESSION_COOKIE
from services.identity.web import answers, pages
from services.identity.web.errors import NO_STORE, translated
from shared.dependencies import Config, Correlation, Database
from shared.health import HealthEndpoints
from shared.metrics import EntrypointMetrics
from shared.oidc import random_token
from shared.ratelimit import RateLimits
from shared.web import http, json_response

log = logging.getLogger(__name__)

PURGE_INTERVAL_SECONDS = 60


class IdentityService(HealthEndpoints):
    name = "identity"

    db = Database()
    config = Config()
    correlation = Correlation()
    metrics = EntrypointMetrics()
    oidc = OpenIdProvider()
    limits = RateLimits()
    client_failures = ClientAuthFailures()

    @http("GET", "/.well-known/openid-configuration")
    def discovery(self, request: Request) -> Response:
        return json_response(provider_metadata(self.oidc.issuer))

    @http("GET", "/jwks")
    def jwks(self, request: Request) -> Response:
        return json_response(self.oidc.keys.jwks())

    @http("GET,POST", "/authorize")
    @translated
    def authorize(self, request: Request) -> Response:
        self.limits.check("login_per_address", self.limits.address(request))
        browser_key = schemas.browser_key(request) or random_token()
        command = schemas.authorization_request(request)
        outcome = login.start_login(self.db, self.oidc, command, browser_key)
        if isinstance(outcome, login.ChooseProvider):
            return pages.chooser_page(outcome.query, outcome.providers, outcome.acr)
        response = answers.redirect_no_store(outcome.location)
        ttl = login.PENDING_LOGIN_TTL_SECONDS
        return answers.set_cookie(response, BROWSER_COOKIE, browser_key, ttl, self.oidc.issuer)

    @http("GET", "/oidc-callback/<provider_id>")
    @translated
    def oidc_callback(self, request: Request, provider_id: str) -> Response:
        command = schemas.upstream_answer(request, provider_id)
        outcome = upstream_login.finish_login(self.db, self.oidc, command)
        if isinstance(outcome, upstream_login.LoginFailed):
            return pages.login_failed_page(outcome.title, outcome.message, outcome.location)
        response = answers.redirect_no_store(outcome.location)
        ttl = upstream_login.SESSION_TTL_SECONDS
        return answers.set_cookie(response, SESSION_COOKIE, outcome.sid, ttl, self.oidc.issuer)

    @http("POST", "/token")
    @translated
    def token(self, request: Request) -> Response:
        command = schemas.token_request(request)
        with self.client_failures.counted(command.credentials, self.limits.address(request)):
            answer = tokens.token(self.db, self.oidc, command)
        return json_response(answer, headers=NO_STORE)

    @http("GET,POST", "/userinfo")
    @translated
    def userinfo(self, request: Request) -> Response:
        info = userinfo.userinfo(self.db, self.oidc, schemas.bearer(request))
        if answers.prefers_json(request):
            return json_response(info.claims, headers=NO_STORE)
        signed = info.signed(self.oidc)
        return Response(signed, mimetype="application/jwt", headers=NO_STORE)

    @http("POST", "/revoke")
    @translated
    def revoke(self, request: Request) -> Response:
        command = schemas.token_request(request)
        with self.client_failures.counted(command.credentials, self.limits.address(request)):
            userinfo.revoke(self.db, self.oidc, command)
        return json_response({}, headers=NO_STORE)

    @http("GET,POST", "/session/end")
    @translated
    def end_session(self, request: Request) -> Response:
        outcome = logout.end_session(self.db, self.oidc, schemas.end_session(request))
        if isinstance(outcome, logout.ConfirmLogout):
            return pages.confirm_sign_out_page(CONFIRMATION_FIELD, outcome.token)
        return answers.logged_out(outcome)

    @http("GET", "/logout-callback/<provider_id>")
    @translated
    def logout_callback(self, request: Request, provider_id: str) -> Response:
        command = schemas.upstream_logout_answer(request, provider_id)
        return answers.logged_out(logout.logout_callback(self.db, self.oidc, command))

    @timer(interval=PURGE_INTERVAL_SECONDS)
    def purge_expired(self) -> None:
        removed = maintenance.purge_expired(self.db, self.oidc)
        if removed:
            log.info("purged %d expired logins, codes, sessions, tokens and keys", removed)
