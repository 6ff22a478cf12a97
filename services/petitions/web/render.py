"""Jinja2 templates and the HTML responses of the pages.

NOTE: autoescaping is on for every template, and nothing is marked safe: petition titles and
texts are citizens' input and may hold HTML or script.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from werkzeug.wrappers import Response

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}
STATIC_MAX_AGE = 3600


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def content_security_policy(identity_url: str) -> str:
    """Scripts, styles and connections from this origin only (no inline script or style).

    NOTE: no ``form-action``. Browsers check it on every redirect that follows a form, and
    signing out posts here, then goes to identity, then to the citizen's upstream provider
    (whose origin this service cannot know), then back. Every form here posts to this origin,
    templates escape everything, and no inline script runs, so an injected form is the
    residual risk that directive would have covered.
    """
    return "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"


def html(template: str, context: dict[str, Any], status: int, csp: str) -> Response:
    body = environment().get_template(template).render(**context)
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = csp
    # NOTE: not the API's no-referrer: with it, browsers send "Origin: null" on our own form
    # posts, and the CSRF check compares the Origin. same-origin still tells other sites nothing.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"  # pages carry CSRF tokens and who is signed in
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


# What a Location may carry as it is (RFC 3986 reserved and unreserved characters, and "%" of
# escapes already made); anything else, a line break from a percent-decoded path first, escaped.
_LOCATION_SAFE = ":/?#[]@!$&'()*+,;=%~"


def see_other(location: str) -> Response:
    """POST/redirect/GET (and every redirect of the pages): 303, never cached."""
    safe_location = quote(location, safe=_LOCATION_SAFE)
    return Response(status=303, headers={"Location": safe_location, "Cache-Control": "no-store"})


def static_file(name: str) -> Response | None:
    path = STATIC / name
    kind = STATIC_TYPES.get(path.suffix)
    if kind is None or path.parent != STATIC or not path.is_file():
        return None
    response = Response(path.read_bytes(), mimetype=kind)
    response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}"
    return response
