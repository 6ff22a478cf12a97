"""The identity service's errors; how each is answered over HTTP is in ``web/errors.py``.

- :class:`OAuthError`: JSON ``{"error", "error_description"}`` (RFC 6749 5.2, RFC 6750 3.1);
- :class:`AuthorizationError`: back to the client's redirect URI with ``error`` and ``state``
  (OIDC Core 3.1.2.6) — only once the client and its redirect URI are known to be genuine;
- :class:`UnsafeRequest`: an HTML error page with status 400, never a redirect (the client or the
  redirect URI cannot be trusted, or the browser is not the one that started the login).
"""

from __future__ import annotations


class OAuthError(Exception):
    def __init__(
        self,
        error: str,
        description: str,
        *,
        scope: str | None = None,
        client_registered: bool = False,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.scope = scope  # insufficient_scope: the scope the request lacks (RFC 6750 3.1)
        # invalid_client: the client id names a registered client (for the operator's alarm,
        # never told to the caller)
        self.client_registered = client_registered


def invalid_client(
    description: str = "client authentication failed", registered: bool = False
) -> OAuthError:
    return OAuthError("invalid_client", description, client_registered=registered)


def invalid_token(description: str) -> OAuthError:
    return OAuthError("invalid_token", description)


def insufficient_scope(scope: str, description: str) -> OAuthError:
    return OAuthError("insufficient_scope", description, scope=scope)


class AuthorizationError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class UnsafeRequest(Exception):
    """The message is shown to the person in the browser; keep it plain and useful."""
