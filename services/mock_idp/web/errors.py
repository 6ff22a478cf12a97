"""The one table turning the mock provider's errors into HTTP answers: JSON OAuth errors (RFC 6749
5.2, RFC 6750 3.1), 401 with a challenge for a client or a token that is not accepted."""

from __future__ import annotations

from werkzeug.wrappers import Response

from services.mock_idp.domain.provider import MockError
from shared.web import json_response

UNAUTHORIZED = ("invalid_client", "invalid_token")
NO_STORE = {"Cache-Control": "no-store"}


def oauth_error(exc: MockError) -> Response:
    headers = dict(NO_STORE)
    status = 401 if exc.error in UNAUTHORIZED else 400
    if status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    return json_response(
        {"error": exc.error, "error_description": exc.description}, status, headers
    )
