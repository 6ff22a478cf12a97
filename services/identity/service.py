"""``hub run identity``: the hub's OpenID Provider, federating upstream identity providers.

Endpoints (under the issuer = ``IDENTITY_PUBLIC_URL``): ``/.well-known/openid-configuration``,
``/jwks``, ``/authorize``, ``/oidc-callback/<provider id>``, ``/token``, ``/userinfo``,
``/revoke``, ``/session/end``, ``/logout-callback/<provider id>``, and ``/healthz``, ``/readyz``.
"""

from __future__ import annotations

import logging
import re
import time

from nameko.timer import timer
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.identity import storage
from services.identity.adapters.keys import purge_retired
from services.identity.client_failures import ClientAuthFailures
from services.identity.dependencies import OpenIdProvider
from services.identity.domain.citizens import random_token
from services.identity.domain.discovery import provider_metadata
from services.identity.domain.errors import OAuthError, translated
from services.identity.handlers import login as handlers
from services.identity.handlers import logout, upstream_login, userinfo
from services.identity.handlers import tokens as grants
from services.identity.schemas import authorization_request, bearer, token_request
from services.identity.web import pages
from shared.dependencies import Config, Correlation, Database
from shared.health import HealthEndpoints
from shared.metrics import EntrypointMetrics
from shared.ratelimit import RateLimits
from shared.web import http, json_response

log = logging.getLogger(__name__)

# The browser's key: binds a login at an upstream provider to the browser that started it.
BROWSER_COOKIE = "hub_login"
SESSION_COOKIE = "hub_session"  # the hub's session id: logout without an id_token_hint asks first
CONFIRMATION_FIELD = "confirmation"  # the logout confirmation form's anti-CSRF token
_BROWSER_KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
PURGE_INTERVAL_SECONDS = 60
KEEP_USED_CODES_SECONDS = 3600  # a replayed code is still recognised (and revokes) for an hour


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
        values = request.form if request.method == "POST" else request.args
        browser_key = _browser_key(request) or random_token()
        outcome = handlers.start_login(
            self.db, self.oidc, authorization_request(values), browser_key
        )
        if isinstance(outcome, handlers.ChooseProvider):
            return pages.chooser_page(outcome.query, outcome.providers, outcome.acr)
        response = _no_store(redirect(outcome.location))
        self._set_cookie(response, BROWSER_COOKIE, browser_key, handlers.PENDING_LOGIN_TTL_SECONDS)
        return response

    @http("GET", "/oidc-callback/<provider_id>")
    @translated
    def oidc_callback(self, request: Request, provider_id: str) -> Response:
        params = {name: request.args.get(name, "") for name in request.args}
        outcome = upstream_login.finish_login(
            self.db, self.oidc, provider_id, params, _browser_key(request)
        )
        if isinstance(outcome, upstream_login.LoginFailed):
            return pages.login_failed_page(outcome.title, outcome.message, outcome.location)
        response = _no_store(redirect(outcome.location))
        self._set_cookie(response, SESSION_COOKIE, outcome.sid, upstream_login.SESSION_TTL_SECONDS)
        return response

    @http("POST", "/token")
    @translated
    def token(self, request: Request) -> Response:
        parsed = token_request(request)
        try:
            answer = grants.token(self.db, self.oidc, parsed)
        except OAuthError as error:
            if error.error == "invalid_client":  # right credentials are never refused here
                client_id = parsed.credentials.client_id
                self.client_failures.failed(error, client_id, self.limits.address(request))
            raise
        return json_response(answer, headers=NO_STORE)

    @http("GET,POST", "/userinfo")
    @translated
    def userinfo(self, request: Request) -> Response:
        info = userinfo.userinfo(self.db, self.oidc, bearer(request))
        if _prefers_json(request):
            return json_response(info.claims, headers=NO_STORE)
        signed = info.signed(self.oidc)
        return Response(signed, mimetype="application/jwt", headers=NO_STORE)

    @http("POST", "/revoke")
    @translated
    def revoke(self, request: Request) -> Response:
        userinfo.revoke(self.db, self.oidc, token_request(request))
        return json_response({}, headers=NO_STORE)

    @http("GET,POST", "/session/end")
    @translated
    def end_session(self, request: Request) -> Response:
        values = request.form if request.method == "POST" else request.args
        params = {name: values.get(name, "") for name in values}
        cookie_sid = request.cookies.get(SESSION_COOKIE)
        # only a POST confirms: a GET (a link, a redirect, an image) never ends a session unasked
        confirmation = params.pop(CONFIRMATION_FIELD, None) if request.method == "POST" else None
        outcome = logout.end_session(self.db, self.oidc, params, cookie_sid, confirmation)
        if isinstance(outcome, logout.ConfirmLogout):
            return pages.confirm_sign_out_page(CONFIRMATION_FIELD, outcome.token)
        return _logged_out(outcome)

    @http("GET", "/logout-callback/<provider_id>")
    @translated
    def logout_callback(self, request: Request, provider_id: str) -> Response:
        params = {name: request.args.get(name, "") for name in request.args}
        return _logged_out(logout.logout_callback(self.db, self.oidc, provider_id, params))

    @timer(interval=PURGE_INTERVAL_SECONDS)
    def purge_expired(self) -> None:
        now = int(time.time())
        removed = storage.purge_expired(self.db, now, KEEP_USED_CODES_SECONDS)
        self.db.commit()
        removed += purge_retired(self.oidc.keys.engine, now)
        self.oidc.metrics.signing_key_age.set(self.oidc.keys.signing_key_age())
        if removed:
            log.info("purged %d expired logins, codes, sessions, tokens and keys", removed)

    def _set_cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            secure=self.oidc.issuer.startswith("https://"),
            samesite="Lax",  # sent on the top-level GET coming back from the provider
        )


def _no_store(response: Response) -> Response:
    response.headers.update(NO_STORE)
    return response


def _logged_out(outcome: logout.LoggedOut) -> Response:
    response = (
        _no_store(redirect(outcome.location)) if outcome.location else pages.signed_out_page()
    )
    if outcome.clear_cookie:
        response.delete_cookie(SESSION_COOKIE)
    return response


def _prefers_json(request: Request) -> bool:
    """FranceConnect v2 answers userinfo as a signed JWT; JSON only for who asks for it alone."""
    accept = request.accept_mimetypes
    return accept["application/json"] > accept["application/jwt"]


def _browser_key(request: Request) -> str | None:
    value = request.cookies.get(BROWSER_COOKIE)
    return value if value and _BROWSER_KEY.match(value) else None
