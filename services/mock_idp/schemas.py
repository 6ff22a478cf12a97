"""The mock provider's input: form and query values, the client's credentials, the bearer token."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import unquote_plus

from werkzeug.wrappers import Request

from services.mock_idp.domain.provider import MockError


def single_values(values: Any) -> dict[str, str]:
    return {key: values.get(key, "") for key in values}


def client_credentials(request: Request) -> tuple[str | None, str | None]:
    """The client id and secret: HTTP Basic when sent, else the form's (RFC 6749 2.3.1)."""
    client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
    authorization = request.headers.get("Authorization")
    if authorization and authorization.lower().startswith("basic "):
        try:
            raw = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except ValueError:
            raise MockError("invalid_client", "malformed Basic credentials") from None
        client_id, _, secret = (unquote_plus(part) for part in raw.partition(":"))
    return client_id, secret


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise MockError("invalid_token", "a Bearer token is required")
    return token.strip()
