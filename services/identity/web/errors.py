"""The one table turning the identity service's errors into HTTP answers.

- :class:`OAuthError`: JSON ``{"error", "error_description"}`` (RFC 6749 5.2, RFC 6750 3.1), with
  the status and ``WWW-Authenticate`` challenge its error code calls for;
- :class:`UnsafeRequest`: an HTML error page with status 400, never a redirect.

(:class:`AuthorizationError` never gets here: the use cases send it back to the client's redirect
URI.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from services.identity.domain.errors import OAuthError, UnsafeRequest
from services.identity.web import pages
from shared.web import json_response

# RFC 6749 5.2 (invalid_client), RFC 6750 3.1 (invalid_token, insufficient_scope); others: 400
OAUTH_STATUS = {"invalid_client": 401, "invalid_token": 401, "insufficient_scope": 403}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_challenge(exc: OAuthError) -> dict[str, str]:
    """The scheme the caller may authenticate with, and what went wrong (RFC 6750 3)."""
    if exc.error == "invalid_client":
        return {"WWW-Authenticate": 'Basic realm="hub"'}
    if exc.error == "invalid_token":
        return {
            "WWW-Authenticate": f'Bearer realm="hub", error="invalid_token", '
            f'error_description="{exc.description}"'
        }
    if exc.error == "insufficient_scope":
        return {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{exc.scope}"'}
    return {}


def oauth_error_response(exc: OAuthError) -> Response:
    body: dict[str, Any] = {"error": exc.error, "error_description": exc.description}
    status = OAUTH_STATUS.get(exc.error, 400)
    return json_response(body, status, {**NO_STORE, **oauth_challenge(exc)})


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
