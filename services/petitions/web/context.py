"""One page request: its language, its session, who is signed in, and how it answers."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

from werkzeug.wrappers import Request, Response

from services.petitions import schemas
from services.petitions.domain import Citizen
from services.petitions.web import i18n, render
from services.petitions.web.login import WebClient
from services.petitions.web.session import (
    CSRF_FIELD,
    WebSession,
    load_session,
    save_session,
    signing_key,
)
from shared.scopes import CITIZEN_PETITIONS, PETITIONS_MODERATE, has_scope
from shared.web import HttpError

MAX_NEXT_LENGTH = 512


class Verifier(Protocol):
    def claims(self, token: str) -> dict[str, Any]: ...


def web_client(settings: Any) -> WebClient:
    return WebClient(
        client_id=settings.petitions_web_client_id,
        client_secret=settings.petitions_web_client_secret,
        issuer=settings.public_url("identity"),
        base_url=settings.public_url("petitions"),
        fetch_base=settings.internal_url("identity"),
    )


@dataclass
class Web:
    request: Request
    client: WebClient
    key: bytes
    session: WebSession
    lang: str
    remember_lang: bool
    claims: dict[str, Any] | None

    @classmethod
    def open(cls, request: Request, settings: Any, tokens: Verifier) -> Web:
        client = web_client(settings)
        key = signing_key(client.client_secret)
        session = load_session(request, key)
        lang, remember = i18n.negotiate(request)
        web = cls(request, client, key, session, lang, remember, None)
        web.claims = web._verified_claims(tokens)
        return web

    def _verified_claims(self, tokens: Verifier) -> dict[str, Any] | None:
        token = self.session.access_token
        if not token:
            return None
        try:
            return tokens.claims(token)
        except HttpError as exc:  # expired, revoked or no longer trusted: signed out, and told so
            if exc.status != 401:  # NOTE: not yet able to check it (503): the session stays
                raise
            self.session.drop_credentials()
            self.session.flash("flash_session_expired", "info")
            return None

    # -- who is signed in ------------------------------------------------------------------

    @property
    def citizen(self) -> Citizen | None:
        claims = self.claims
        if self.session.role != "citizen" or not claims:
            return None
        if not has_scope(claims, CITIZEN_PETITIONS) or "acr" not in claims:
            return None
        return schemas.citizen(claims)

    @property
    def operator(self) -> bool:
        claims = self.claims
        return bool(
            self.session.role == "operator" and claims and has_scope(claims, PETITIONS_MODERATE)
        )

    def csrf_ok(self) -> bool:
        """Synchronizer token (bound to the session cookie), and the Origin when sent."""
        origin = self.request.headers.get("Origin")
        if origin and origin != _origin(self.client.base_url):
            return False
        return self.session.csrf_matches(self.request.form.get(CSRF_FIELD))

    # -- answers ---------------------------------------------------------------------------

    @property
    def t(self) -> i18n.Translator:
        return i18n.Translator(self.lang)

    def page(self, template: str, http_status: int = 200, **context: Any) -> Response:
        other = "en" if self.lang == "fr" else "fr"
        base = {
            "t": self.t,
            "lang": self.lang,
            "other_lang": other,
            "other_lang_name": i18n.LANGUAGE_NAMES[other],
            "other_lang_url": self._with_args(lang=other),
            "csrf_field": CSRF_FIELD,
            "csrf": self.session.csrf_token,
            "signed_in_as": "citizen" if self.citizen else ("operator" if self.operator else None),
            "login_url": login_url(self._back_after_login()),
            "flashes": [(level, self.t(m)) for m, level in self.session.take_flashes()],
            "errors": [],
            "nav": None,
            "now": time.time(),
        }
        csp = render.content_security_policy(self.client.issuer)
        return self.finish(render.html(template, {**base, **context}, http_status, csp))

    def redirect(self, location: str) -> Response:
        return self.finish(render.see_other(location))

    def finish(self, response: Response) -> Response:
        save_session(response, self.session, self.key, self.client.secure)
        if self.remember_lang:
            response.set_cookie(
                i18n.LANG_COOKIE,
                self.lang,
                max_age=i18n.LANG_COOKIE_MAX_AGE,
                path="/",
                httponly=True,
                secure=self.client.secure,
                samesite="Lax",
            )
        return response

    def _back_after_login(self) -> str:
        path = self.request.path
        return "/" if path.startswith(("/auth/", "/login", "/signed-out")) else self.here()

    def here(self) -> str:
        args = {k: v for k, v in self.request.args.items() if k != "lang"}
        return self.request.path + (f"?{urlencode(args)}" if args else "")

    def _with_args(self, **changes: str) -> str:
        args = {**dict(self.request.args.items()), **changes}
        return f"{self.request.path}?{urlencode(args)}"


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


def safe_next(value: str | None) -> str:
    """A path on this site to go back to after signing in (never another site)."""
    if not value or len(value) > MAX_NEXT_LENGTH:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 32 for c in value):
        return "/"
    return value


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
