"""The mock provider's HTML: the identity chooser and its error page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from werkzeug.wrappers import Response

from services.mock_idp.adapters.identities import TestIdentity

# The parameters the chooser form carries on to the POST (everything but the identity).
CARRIED_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "acr_values",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "ui_locales",
    "login_hint",
)


def chooser_page(
    action: str, params: Mapping[str, str], identities: Iterable[TestIdentity]
) -> Response:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(params[name])}">'
        for name in CARRIED_PARAMS
        if params.get(name)
    )
    options = "".join(
        f'<li><label><input type="radio" name="identity" value="{escape(i.key)}" required> '
        f"{escape(i.label)} <small>({escape(i.key)})</small></label></li>"
        for i in identities
    )
    body = (
        "<h1>Fournisseur d'identité de test</h1><p>Choose a test identity.</p>"
        f'<form method="post" action="{escape(action)}">{hidden}<ul>{options}</ul>'
        '<button type="submit">Log in</button></form>'
    )
    response = _page("Mock identity provider", body, 200)
    # NOTE: browsers apply form-action to every redirect after the POST (the hub's callback, then
    # the hub's client, whose origin this page cannot know), so this development-only page sets
    # no form-action; its one form posts to itself.
    response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
    return response


def error_page(status: int, error: str, description: str) -> Response:
    body = f"<h1>{escape(error)}</h1><p>{escape(description)}</p>"
    return _page("Mock identity provider: error", body, status)


def _page(title: str, body: str, status: int) -> Response:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"</head><body>{body}</body></html>"
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
