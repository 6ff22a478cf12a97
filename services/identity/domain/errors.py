"""The identity service's errors, and the one table that turns them into HTTP answers.

- :class:`OAuthError`: JSON ``{"error", "error_description"}`` (RFC 6749 5.2, RFC 6750 3.1);
- :class:`AuthorizationError`: back to the client's redirect URI with ``error`` and ``state``
  (OIDC Core 3.1.2.6) — only once the client and its redirect URI are known to be genuine;
- :class:`UnsafeRequest`: an HTML error page with status 400, never a redirect (the client or the
  redirect URI cannot be trusted, or the browser is not the one that started the login).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from services.identity.web import pages
from shared.web import json_response


class OAuthError(Exception):
    client_registered = False  # invalid_client: the client id names a registered client

    def __init__(
        self, error: str, description: str, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}


def invalid_client(
    description: str = "client authentication failed", registered: bool = False
) -> OAuthError:
    # RFC 6749 5.2: 401, with the scheme the client may authenticate with
    error = OAuthError(
        "invalid_client", description, 401, {"WWW-Authenticate": 'Basic realm="hub"'}
    )
    error.client_registered = registered  # for the operator's alarm, never told to the caller
    return error


def invalid_token(description: str) -> OAuthError:
    # RFC 6750 3.1
    header = f'Bearer realm="hub", error="invalid_token", error_description="{description}"'
    return OAuthError("invalid_token", description, 401, {"WWW-Authenticate": header})


class AuthorizationError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class UnsafeRequest(Exception):
    """The message is shown to the person in the browser; keep it plain and useful."""


def oauth_error_response(exc: OAuthError) -> Response:
    body: dict[str, Any] = {"error": exc.error, "error_description": exc.description}
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **exc.headers}
    return json_response(body, exc.status, headers)


def unsafe_request_response(exc: UnsafeRequest) -> Response:
    return pages.error_page(400, "The sign-in request cannot be processed", str(exc))


ERROR_RESPONSES: dict[type[Exception], Callable[[Any], Response]] = {
    OAuthError: oauth_error_response,
    UnsafeRequest: unsafe_request_response,
}


def _count(service: Any, endpoint: str, exc: Exception) -> None:
    metrics = getattr(getattr(service, "oidc", None), "metrics", None)
    if metrics is not None:
        error = exc.error if isinstance(exc, OAuthError) else "unsafe_request"
        metrics.oauth_errors.labels(endpoint, error).inc()


def translated(entrypoint: Callable[..., Response]) -> Callable[..., Response]:
    """Answers the service's own errors through :data:`ERROR_RESPONSES`; others reach shared.web."""

    @functools.wraps(entrypoint)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return entrypoint(*args, **kwargs)
        except tuple(ERROR_RESPONSES) as exc:
            _count(args[0] if args else None, entrypoint.__name__, exc)
            return ERROR_RESPONSES[type(exc)](exc)

    return wrapper
