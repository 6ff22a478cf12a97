"""``hub run identity``: the hub's OpenID Provider, federating upstream identity providers.

Endpoints (under the issuer = ``IDENTITY_PUBLIC_URL``): ``/.well-known/openid-configuration``,
``/jwks``, ``/authorize``, ``/oidc-callback/<provider id>``, ``/token``, ``/userinfo``,
``/revoke``, ``/session/end``, and ``/healthz``, ``/readyz``.
"""

from __future__ import annotations

import logging
import re
import time

from nameko.timer import timer
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.identity import grants, handlers, storage
from services.identity.dependencies import OpenIdProvider
from services.identity.domain import random_token
from services.identity.errors import translated
from services.identity.oidc import pages
from services.identity.oidc.discovery import provider_metadata
from services.identity.schemas import authorization_request, bearer, token_request
from shared.dependencies import Config, Correlation, Database
from shared.health import HealthEndpoints
from shared.metrics import EntrypointMetrics
from shared.web import http, json_response

log = logging.getLogger(__name__)

# The browser's key: binds a login at an upstream provider to the browser that started it.
BROWSER_COOKIE = "hub_login"
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

    @http("GET", "/.well-known/openid-configuration")
    def discovery(self, request: Request) -> Response:
        return json_response(provider_metadata(self.oidc.issuer))

    @http("GET", "/jwks")
    def jwks(self, request: Request) -> Response:
        return json_response(self.oidc.keys.jwks())

    @http("GET,POST", "/authorize")
    @translated
    def authorize(self, request: Request) -> Response:
        values = request.form if request.method == "POST" else request.args
        browser_key = _browser_key(request) or random_token()
        outcome = handlers.start_login(
            self.db, self.oidc, authorization_request(values), browser_key
        )
        if isinstance(outcome, handlers.ChooseProvider):
            return pages.chooser_page(outcome.query, outcome.providers)
        response = redirect(outcome.location)
        response.headers.update(NO_STORE)
        response.set_cookie(
            BROWSER_COOKIE,
            browser_key,
            max_age=handlers.PENDING_LOGIN_TTL_SECONDS,
            httponly=True,
            secure=self.oidc.issuer.startswith("https://"),
            samesite="Lax",  # sent on the top-level GET coming back from the provider
        )
        return response

    @http("GET", "/oidc-callback/<provider_id>")
    @translated
    def oidc_callback(self, request: Request, provider_id: str) -> Response:
        params = {name: request.args.get(name, "") for name in request.args}
        outcome = handlers.finish_login(
            self.db, self.oidc, provider_id, params, _browser_key(request)
        )
        response = redirect(outcome.location)
        response.headers.update(NO_STORE)
        return response

    @http("POST", "/token")
    @translated
    def token(self, request: Request) -> Response:
        answer = grants.token(self.db, self.oidc, token_request(request))
        return json_response(answer, headers=NO_STORE)

    @http("GET,POST", "/userinfo")
    @translated
    def userinfo(self, request: Request) -> Response:
        return json_response(grants.userinfo(self.db, self.oidc, bearer(request)), headers=NO_STORE)

    @http("POST", "/revoke")
    @translated
    def revoke(self, request: Request) -> Response:
        grants.revoke(self.db, self.oidc, token_request(request))
        return json_response({}, headers=NO_STORE)

    @http("GET", "/session/end")
    @translated
    def end_session(self, request: Request) -> Response:
        params = {name: request.args.get(name, "") for name in request.args}
        target = grants.end_session(self.db, self.oidc, params)
        if target is None:
            return pages.error_page(200, "Signed out", "You are signed out of the hub.")
        return redirect(target)

    @timer(interval=PURGE_INTERVAL_SECONDS)
    def purge_expired(self) -> None:
        removed = storage.purge_expired(self.db, int(time.time()), KEEP_USED_CODES_SECONDS)
        self.db.commit()
        if removed:
            log.info("purged %d expired logins, codes and grants", removed)


def _browser_key(request: Request) -> str | None:
    value = request.cookies.get(BROWSER_COOKIE)
    return value if value and _BROWSER_KEY.match(value) else None
