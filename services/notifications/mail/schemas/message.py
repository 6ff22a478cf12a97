"""What every mail is made of: the RFC 5322 message (ASCII only: quoted-printable text and HTML,
multipart/alternative), its sender and links (:class:`MailContext`), and the RFC 8058 one-click
unsubscribe headers of mails that belong to a list one can leave. Pure: no I/O."""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import urlsplit

SENDER_NAME = "Hub de participation"

# What every mail may say, whatever it is about.
TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "unsubscribe": "Ne plus recevoir de message à propos de cette pétition : {url}",
        "unsubscribe.link": "Ne plus recevoir de message à propos de cette pétition",
        "untitled": "n° {petition_id}",
    },
    "en": {
        "unsubscribe": "Stop messages about this petition: {url}",
        "unsubscribe.link": "Stop messages about this petition",
        "untitled": "no. {petition_id}",
    },
}


@dataclass(frozen=True)
class MailContext:
    """Where mails come from and where their links point (the service's public URL)."""

    public_url: str

    @property
    def domain(self) -> str:
        host = urlsplit(self.public_url).hostname or "localhost"
        return "localhost" if host.replace(".", "").isdigit() or ":" in host else host

    @property
    def sender(self) -> str:
        return f"ne-pas-repondre@{self.domain}"

    def unsubscribe_url(self, token: str) -> str:
        return f"{self.public_url}/unsubscribe/{token}"


@dataclass(frozen=True)
class Rendered:
    subject: str
    paragraphs: list[str]
    receipt_rows: list[tuple[str, str]]
    unsubscribe_url: str | None


MAX_TITLE_CHARS = 150


def petition_title(locale: str, title: str | None, petition_id: str) -> str:
    """The title as one short line (it goes into the Subject header)."""
    flat = " ".join((title or "").split())
    if len(flat) > MAX_TITLE_CHARS:
        flat = flat[: MAX_TITLE_CHARS - 1] + "…"
    return flat or TEXTS[locale]["untitled"].format(petition_id=petition_id)


def message(context: MailContext, recipient: str, locale: str, rendered: Rendered) -> str:
    """The RFC 5322 message (ASCII only: quoted-printable bodies, RFC 2047 headers)."""
    mail = EmailMessage()
    mail["Subject"] = rendered.subject
    mail["From"] = formataddr((SENDER_NAME, context.sender))
    mail["To"] = recipient
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=context.domain)
    mail["Auto-Submitted"] = "auto-generated"
    if rendered.unsubscribe_url:
        # RFC 8058: a POST to this URL, with no cookie or login, unsubscribes.
        mail["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(_text(locale, rendered), cte="quoted-printable")
    mail.add_alternative(_html(locale, rendered), subtype="html", cte="quoted-printable")
    mail["Content-Language"] = locale  # NOTE: after set_content, which drops Content-* headers
    return mail.as_string()


def _text(locale: str, rendered: Rendered) -> str:
    lines = [rendered.paragraphs[0], ""]
    for paragraph in rendered.paragraphs[1:-1]:
        lines += [paragraph, ""]
    lines += [f"  {label} : {value}" for label, value in rendered.receipt_rows]
    if rendered.receipt_rows:
        lines.append("")
    lines += [rendered.paragraphs[-1], ""]
    if rendered.unsubscribe_url:
        lines.append(TEXTS[locale]["unsubscribe"].format(url=rendered.unsubscribe_url))
    return "\n".join(lines) + "\n"


def _html(locale: str, rendered: Rendered) -> str:
    e = html.escape
    body = [f"<p>{e(p)}</p>" for p in rendered.paragraphs[:-1]]
    if rendered.receipt_rows:
        rows = "".join(
            f"<tr><th>{e(label)}</th><td><code>{e(value)}</code></td></tr>"
            for label, value in rendered.receipt_rows
        )
        body.append(f"<table>{rows}</table>")
    body.append(f"<p>{e(rendered.paragraphs[-1])}</p>")
    if rendered.unsubscribe_url:
        link = TEXTS[locale]["unsubscribe.link"]
        body.append(f'<p><a href="{e(rendered.unsubscribe_url)}">{e(link)}</a></p>')
    return (
        f'<!DOCTYPE html><html lang="{locale}"><head><meta charset="utf-8">'
        f"<title>{e(rendered.subject)}</title></head><body>{''.join(body)}</body></html>\n"
    )
