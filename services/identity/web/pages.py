"""The identity service's few HTML pages: the identity-provider chooser, a failed sign-in, the
sign-out confirmation, signed out, and the error page. Plain, accessible HTML (one ``h1``,
landmarks, real links and buttons, no script), with the page language declared.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from shared.upstreams import UpstreamProvider

LEVELS = {"eidas1": "low", "eidas2": "substantial", "eidas3": "high"}


def error_page(status: int, title: str, message: str) -> Response:
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>", status)


def chooser_page(
    query: dict[str, str], providers: Iterable[UpstreamProvider], acr: str = "eidas1"
) -> Response:
    """FranceConnect's chooser: one link per provider able to meet the level asked for."""
    links = "".join(
        f'<li><a href="{_link(query, p.id)}">{escape(p.name)}</a></li>' for p in providers
    )
    level = LEVELS.get(acr, acr)
    body = (
        "<h1>Choose how to sign in</h1>"
        f'<p id="level">Level of assurance the service asks for: {escape(level)} '
        f"({escape(acr)}).</p>"
        f'<nav aria-labelledby="level"><ul>{links}</ul></nav>'
    )
    return _page("Choose your identity provider", body, 200)


def login_failed_page(title: str, message: str, back_to_service: str) -> Response:
    """An upstream failure, told to the citizen; the link gives the client its OIDC error."""
    body = (
        f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
        f'<p><a id="return-to-service" href="{escape(back_to_service)}">'
        "Return to the service</a></p>"
    )
    return _page(title, body, 200)


def signed_out_page() -> Response:
    return _page("Signed out", "<h1>You are signed out</h1>", 200)


def confirm_sign_out_page(field: str, token: str) -> Response:
    """RP-Initiated Logout 1.0 section 2: asked without an ID token, the hub asks the person."""
    body = (
        "<h1>Sign out?</h1>"
        "<p>You are asked to sign out of the services you signed in to through this hub. "
        "If you did not ask for it, close this page: you stay signed in.</p>"
        '<form method="post" action="/session/end">'
        f'<input type="hidden" name="{escape(field)}" value="{escape(token)}">'
        '<button type="submit" id="confirm-sign-out">Sign out</button></form>'
    )
    response = _page("Sign out?", body, 200)
    # NOTE: no form-action: browsers apply it to the redirects after the POST too, and signing
    # out goes on to the upstream provider's logout, another origin.
    response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
    return response


def _link(query: dict[str, str], provider_id: str) -> str:
    return escape("/authorize?" + urlencode({**query, "idp_hint": provider_id}))


def _page(title: str, body: str, status: int) -> Response:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><main>{body}</main></body></html>"
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
