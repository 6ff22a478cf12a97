"""Browser-like clients of the pages, for the tests of the pages over real HTTP.

Sessions are made the way the sign-in makes them (a sealed cookie holding an access token), with
tokens from the test issuer; the sign-in itself runs against the real identity service in
tests/browser.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from services.petitions.web.session import SESSION_COOKIE, seal, signing_key, unseal
from shared.testing import BaseUrlSession

CSRF = "csrf-" + "x" * 40
MARKUP = '<script>alert("pwned")</script><b>bold</b>'


class Visitor:
    """A browser-like HTTP client of the pages (cookies kept, redirects not followed)."""

    def __init__(self, petitions: Any, token: str | None = None, role: str = "citizen") -> None:
        self.http = BaseUrlSession(petitions.url)
        self.key = signing_key(petitions.settings.petitions_web_client_secret)
        if token:
            data = {"role": role, "at": token, "exp": int(time.time()) + 300, "csrf": CSRF}
            self.http.cookies.set(SESSION_COOKIE, seal(self.key, data), domain="127.0.0.1")

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.http.get(path, allow_redirects=False, **kwargs)

    def post(self, path: str, data: dict[str, str] | None = None, csrf: str | None = CSRF) -> Any:
        form = dict(data or {})
        if csrf is not None:
            form["csrf_token"] = csrf
        return self.http.post(path, data=form, allow_redirects=False)

    def session(self) -> dict[str, Any]:
        return unseal(self.key, self.http.cookies.get(SESSION_COOKIE)) or {}


def citizen(petitions: Any, sub: str | None = None, **claims: Any) -> Visitor:
    token = petitions.issuer.citizen_token(petitions.url, sub or uuid.uuid4().hex, **claims)
    return Visitor(petitions, token)


def operator(petitions: Any) -> Visitor:
    token = petitions.issuer.token(
        petitions.url,
        sub="operator-client",
        client_id="operator-client",
        scope="petitions:moderate petitions:read",
    )
    return Visitor(petitions, token, role="operator")
