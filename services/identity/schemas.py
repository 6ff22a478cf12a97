"""Input of the identity service's endpoints, parsed and bounded into commands before any use case
sees it: query strings, forms, the client's credentials, the bearer token, the browser's cookies."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote_plus

from werkzeug.wrappers import Request

from services.identity.commands import (
    AuthorizationRequest,
    ClientCredentials,
    EndSession,
    TokenRequest,
    UpstreamAnswer,
    UpstreamLogoutAnswer,
)
from services.identity.domain.errors import OAuthError, invalid_client

MAX_PARAM_LENGTH = 2048
AUTHORIZE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "idp_hint",
    "login_hint",
    "prompt",
    "response_mode",
    "request",
    "request_uri",
    "ui_locales",
)
# The browser's key: binds a login at an upstream provider to the browser that started it.
BROWSER_COOKIE = "hub_login"
SESSION_COOKIE = "hub_session"  # the hub's session id: logout without an id_token_hint asks first
CONFIRMATION_FIELD = "confirmation"  # the logout confirmation form's anti-CSRF token
_BROWSER_KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")


def authorization_request(request: Request) -> AuthorizationRequest:
    values = request.form if request.method == "POST" else request.args
    params, duplicated, too_long = {}, [], []
    for name in AUTHORIZE_PARAMS:
        found = values.getlist(name)
        if len(found) > 1:
            duplicated.append(name)  # RFC 6749 3.1: parameters must not be repeated
        if found:
            params[name] = found[0]
            if len(found[0]) > MAX_PARAM_LENGTH:
                too_long.append(name)
    return AuthorizationRequest(params, tuple(duplicated), tuple(too_long))


def upstream_answer(request: Request, provider_id: str) -> UpstreamAnswer:
    return UpstreamAnswer(provider_id, _query(request), browser_key(request))


def token_request(request: Request) -> TokenRequest:
    """RFC 6749 3.2: a form POST, each parameter at most once; and the client's credentials."""
    if request.mimetype != "application/x-www-form-urlencoded":
        raise OAuthError(
            "invalid_request", "send the parameters as application/x-www-form-urlencoded"
        )
    form = {}
    for name in request.form:
        values = request.form.getlist(name)
        if len(values) > 1:
            raise OAuthError("invalid_request", f"the parameter {name} is repeated")
        if len(values[0]) > MAX_PARAM_LENGTH:
            raise OAuthError("invalid_request", f"the parameter {name} is too long")
        form[name] = values[0]
    return TokenRequest(form, _credentials(request.headers.get("Authorization"), form))


def _credentials(authorization: str | None, form: dict[str, str]) -> ClientCredentials:
    """RFC 6749 2.3.1: Basic (form-encoded id and secret) or in the body, never both."""
    if authorization:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            raise invalid_client("use HTTP Basic or client_secret_post")
        if "client_secret" in form:
            raise OAuthError("invalid_request", "use one client authentication method, not two")
        client_id, secret = _basic(encoded.strip())
        if form.get("client_id") not in (None, client_id):
            raise OAuthError("invalid_request", "client_id differs from the authenticated client")
        return ClientCredentials(client_id, secret, "client_secret_basic")
    if "client_secret" in form:
        return ClientCredentials(form.get("client_id"), form["client_secret"], "client_secret_post")
    return ClientCredentials(form.get("client_id"), None, "none")


def _basic(encoded: str) -> tuple[str, str]:
    try:
        raw = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise invalid_client("malformed Basic credentials") from None
    client_id, sep, secret = raw.partition(":")
    if not sep or not client_id:
        raise invalid_client("malformed Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


def bearer(request: Request) -> str | None:
    """RFC 6750 2.1 (header) and 2.2 (form body); None when there is none."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get("access_token") or None
    return None


def end_session(request: Request) -> EndSession:
    values = request.form if request.method == "POST" else request.args
    params = {name: values.get(name, "") for name in values}
    # only a POST confirms: a GET (a link, a redirect, an image) never ends a session unasked
    confirmation = params.pop(CONFIRMATION_FIELD, None) if request.method == "POST" else None
    return EndSession(params, request.cookies.get(SESSION_COOKIE), confirmation)


def upstream_logout_answer(request: Request, provider_id: str) -> UpstreamLogoutAnswer:
    return UpstreamLogoutAnswer(provider_id, _query(request))


def browser_key(request: Request) -> str | None:
    """The key in the browser's cookie, if it has a well-formed one."""
    value = request.cookies.get(BROWSER_COOKIE)
    return value if value and _BROWSER_KEY.match(value) else None


def _query(request: Request) -> dict[str, str]:
    return {name: request.args.get(name, "") for name in request.args}
