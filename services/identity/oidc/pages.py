"""The identity service's few HTML pages: an error page and the identity-provider chooser."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from services.identity.upstreams import UpstreamProvider


def error_page(status: int, title: str, message: str) -> Response:
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>", status)


def chooser_page(query: dict[str, str], providers: Iterable[UpstreamProvider]) -> Response:
    """FranceConnect's chooser: one link per provider able to meet the level asked for."""
    links = "".join(
        f'<li><a href="{_link(query, p.id)}">{escape(p.name)}</a></li>' for p in providers
    )
    body = f"<h1>Sign in with</h1><ul>{links}</ul>"
    return _page("Choose your identity provider", body, 200)


def _link(query: dict[str, str], provider_id: str) -> str:
    return escape("/authorize?" + urlencode({**query, "idp_hint": provider_id}))


def _page(title: str, body: str, status: int) -> Response:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"</head><body>{body}</body></html>"
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
