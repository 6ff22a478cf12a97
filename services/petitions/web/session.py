"""The pages' session: a signed cookie, and the CSRF token bound to it.

NOTE: the session lives in the browser (HttpOnly, SameSite=Lax, Secure on https), signed with
HMAC-SHA256, so the petitions database never holds a session row, a name, an e-mail or a birth
date. It carries the citizen's access token (audience: this service, pairwise ``sub``), which is
re-verified on every request, and the ID token, kept only as ``id_token_hint`` for signing out.
The session ends when the access token expires (``HUB_ACCESS_TOKEN_TTL``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

SESSION_COOKIE = "petitions_session"
LOGIN_COOKIE = "petitions_login"  # state, nonce and PKCE verifier of one sign-in under way
LOGIN_COOKIE_PATH = "/auth/"
LOGIN_TTL_SECONDS = 600  # as long as the identity service waits for the person upstream
ANONYMOUS_TTL_SECONDS = 3600  # a session holding only a CSRF token or a message
CSRF_FIELD = "csrf_token"
_KEY_PURPOSE = b"participation-hub petitions web session v1"


def signing_key(client_secret: str) -> bytes:
    """The cookie key, derived from the web client's secret.

    NOTE: one secret less to manage; rotating the client secret signs everyone out, which is
    what a rotation after a leak should do anyway.
    """
    return hmac.new(client_secret.encode(), _KEY_PURPOSE, hashlib.sha256).digest()


def seal(key: bytes, data: dict[str, Any]) -> str:
    payload = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_b64(_mac(key, payload))}"


def unseal(key: bytes, value: str | None, now: float | None = None) -> dict[str, Any] | None:
    """The cookie's data if its signature is ours and it has not expired; otherwise None."""
    if not value or value.count(".") != 1:
        return None
    payload, mac = value.split(".")
    if not hmac.compare_digest(_b64(_mac(key, payload)), mac):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("exp"), int | float):
        return None
    return data if data["exp"] > (time.time() if now is None else now) else None


def _mac(key: bytes, payload: str) -> bytes:
    return hmac.new(key, payload.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class WebSession:
    """What the cookie holds; ``changed`` says whether the response must set it again."""

    data: dict[str, Any] = field(default_factory=dict)
    changed: bool = False
    cleared: bool = False

    @property
    def access_token(self) -> str | None:
        return self.data.get("at")

    @property
    def role(self) -> str | None:
        return self.data.get("role") if self.access_token else None

    @property
    def id_token(self) -> str | None:
        return self.data.get("idt")

    def csrf_token(self) -> str:
        """The session's synchronizer token (made on first use, e.g. when a form is shown)."""
        if not self.data.get("csrf"):
            self.data["csrf"] = secrets.token_urlsafe(32)
            self.data.setdefault("exp", int(time.time()) + ANONYMOUS_TTL_SECONDS)
            self.changed = True
        return str(self.data["csrf"])

    def csrf_matches(self, sent: str | None) -> bool:
        expected = self.data.get("csrf")
        return bool(expected and sent) and hmac.compare_digest(str(expected), str(sent))

    def sign_in(self, role: str, access_token: str, expires_at: int, id_token: str | None) -> None:
        """A new session for a signed-in person: a fresh CSRF token (no session fixation)."""
        self.data = {
            "role": role,
            "at": access_token,
            "exp": int(expires_at),
            "csrf": secrets.token_urlsafe(32),
        }
        if id_token:
            self.data["idt"] = id_token
        self.changed = True

    def sign_out(self) -> None:
        self.data = {}
        self.changed = True
        self.cleared = True

    def drop_credentials(self) -> None:
        """The access token no longer verifies (expired, keys rotated): anonymous again."""
        for name in ("at", "idt", "role"):
            self.data.pop(name, None)
        self.changed = True

    def flash(self, message_id: str, level: str = "success") -> None:
        self.data.setdefault("exp", int(time.time()) + ANONYMOUS_TTL_SECONDS)
        self.data.setdefault("flash", []).append([message_id, level])
        self.changed = True

    def take_flashes(self) -> list[tuple[str, str]]:
        found = self.data.pop("flash", [])
        if found:
            self.changed = True
        return [(str(m), str(level)) for m, level in found]

    def keep(self, name: str, value: Any) -> None:
        self.data.setdefault("exp", int(time.time()) + ANONYMOUS_TTL_SECONDS)
        self.data[name] = value
        self.changed = True


def load_session(request: Request, key: bytes) -> WebSession:
    return WebSession(unseal(key, request.cookies.get(SESSION_COOKIE)) or {})


def save_session(response: Response, session: WebSession, key: bytes, secure: bool) -> None:
    if session.cleared and not session.data:
        response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True)
        return
    if not session.changed:
        return
    max_age = max(0, int(session.data.get("exp", 0) - time.time()))
    response.set_cookie(
        SESSION_COOKIE,
        seal(key, session.data),
        max_age=max_age,
        path="/",
        httponly=True,
        secure=secure,
        samesite="Lax",  # sent on the top-level GET coming back from the identity service
    )


def set_login_cookie(response: Response, key: bytes, data: dict[str, Any], secure: bool) -> None:
    data = {**data, "exp": int(time.time()) + LOGIN_TTL_SECONDS}
    response.set_cookie(
        LOGIN_COOKIE,
        seal(key, data),
        max_age=LOGIN_TTL_SECONDS,
        path=LOGIN_COOKIE_PATH,
        httponly=True,
        secure=secure,
        samesite="Lax",
    )


def read_login_cookie(request: Request, key: bytes) -> dict[str, Any] | None:
    return unseal(key, request.cookies.get(LOGIN_COOKIE))


def clear_login_cookie(response: Response, secure: bool) -> Response:
    """Each sign-in attempt is used once, whatever its outcome."""
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_COOKIE_PATH, secure=secure, httponly=True)
    return response
