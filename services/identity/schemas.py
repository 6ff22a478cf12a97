"""Input of the identity service's endpoints, parsed and bounded before any use case sees it."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from werkzeug.wrappers import Request

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


@dataclass(frozen=True)
class AuthorizationRequest:
    """OIDC Core 3.1.2.1; unknown parameters are ignored (the conformance suite sends some)."""

    params: dict[str, str]
    duplicated: tuple[str, ...] = ()
    too_long: tuple[str, ...] = ()

    def get(self, name: str) -> str | None:
        return self.params.get(name) or None

    @property
    def scopes(self) -> list[str]:
        return (self.params.get("scope") or "").split()


def authorization_request(values: Any) -> AuthorizationRequest:
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


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str | None
    secret: str | None
    method: str  # client_secret_basic | client_secret_post | none


@dataclass(frozen=True)
class TokenRequest:
    form: dict[str, str]
    credentials: ClientCredentials = field(default=ClientCredentials(None, None, "none"))

    def get(self, name: str) -> str | None:
        return self.form.get(name) or None


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
