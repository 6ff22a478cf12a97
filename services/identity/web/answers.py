"""How the identity service's entrypoints answer: never cached, the browser's cookies, the signed
or JSON userinfo, the end of a logout."""

from __future__ import annotations

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.identity.handlers.logout import LoggedOut
from services.identity.schemas import SESSION_COOKIE
from services.identity.web import pages
from services.identity.web.errors import NO_STORE


def no_store(response: Response) -> Response:
    response.headers.update(NO_STORE)
    return response


def redirect_no_store(location: str) -> Response:
    return no_store(redirect(location))


def set_cookie(response: Response, name: str, value: str, max_age: int, issuer: str) -> Response:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=issuer.startswith("https://"),
        samesite="Lax",  # sent on the top-level GET coming back from the provider
    )
    return response


def logged_out(outcome: LoggedOut) -> Response:
    response = redirect_no_store(outcome.location) if outcome.location else pages.signed_out_page()
    if outcome.clear_cookie:
        response.delete_cookie(SESSION_COOKIE)
    return response


def prefers_json(request: Request) -> bool:
    """FranceConnect v2 answers userinfo as a signed JWT; JSON only for who asks for it alone."""
    accept = request.accept_mimetypes
    return accept["application/json"] > accept["application/jwt"]
