"""HTTP entrypoints for citizens: ask for a signature's confirmation by e-mail (with the receipt
as proof: no account, no token), register a petition author's address (with the author key as
proof), and RFC 8058 one-click unsubscribe (no cookie, no login)."""

from __future__ import annotations

import html
from typing import Any

from werkzeug.wrappers import Request, Response

from services.notifications.mail.handlers import authors, citizens
from services.notifications.mail.handlers import unsubscribe as unsubscribing
from services.notifications.mail.schemas.requests import (
    author_email_request,
    signature_email_request,
)
from services.notifications.web.errors import translated
from shared.web import http, json_response, read_json

UNSUBSCRIBE = "/unsubscribe/<string:token>"
_CONFIRM_PAGE = (
    "<h1>Se désabonner / Unsubscribe</h1>"
    "<p>Ne plus recevoir de message à propos de cette pétition ?<br>"
    "Stop messages about this petition?</p>"
    '<form method="post"><button type="submit">Se désabonner / Unsubscribe</button></form>'
)
_DONE_PAGE = (
    "<h1>Désabonné / Unsubscribed</h1><p>Votre adresse est effacée. / Your address is erased.</p>"
)


class CitizenMailEndpoints:
    db: Any
    mails: Any

    @http("POST", "/api/signature-emails")
    @translated
    def request_signature_email(self, request: Request) -> Response:
        command = signature_email_request(read_json(request))
        kept = citizens.request_signature_email(self.db, command, self.mails.letters)
        self.mails.wake()
        return json_response({"status": "queued", "notify_outcome": kept}, status=202)

    @http("POST", "/api/author-emails")
    @translated
    def register_author_email(self, request: Request) -> Response:
        command = author_email_request(read_json(request))
        replaced = authors.register_author_email(self.db, command)
        return json_response({"status": "registered", "replaced": replaced}, status=202)

    @http("GET", UNSUBSCRIBE)
    def unsubscribe_page(self, request: Request, token: str) -> Response:
        # NOTE: GET never unsubscribes: mail scanners follow links; RFC 8058 uses POST.
        return _page(_CONFIRM_PAGE)

    @http("POST", UNSUBSCRIBE)
    def unsubscribe(self, request: Request, token: str) -> Response:
        unsubscribing.unsubscribe(self.db, token)
        return _page(_DONE_PAGE)  # the same answer whether or not the token was known


def _page(body: str) -> Response:
    document = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{html.escape('Hub de participation')}</title></head><body>{body}</body></html>"
    )
    return Response(document, mimetype="text/html", headers={"Cache-Control": "no-store"})
