"""The SMTP server mails go to (stdlib ``smtplib``, cooperative under eventlet's monkey patching),
named by ``HUB_SMTP_URL``."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SMTP_TIMEOUT_SECONDS = 30.0
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
# What a connection or a send may raise when it fails (see :func:`permanent`).
SMTP_ERRORS = (OSError, smtplib.SMTPException)


class SmtpUrlError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpServer:
    """``smtp://`` (plain), ``smtp+starttls://`` (STARTTLS required) or ``smtps://`` (TLS),
    with optional ``user:password@``."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise SmtpUrlError("HUB_SMTP_URL must be smtp://, smtp+starttls:// or smtps://host")
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(
            parts.scheme, parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme], user, password
        )

    def connect(self) -> smtplib.SMTP:
        if self.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host,
                self.port,
                timeout=SMTP_TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
            if self.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
        if self.username:
            client.login(self.username, self.password or "")
        return client


def permanent(exc: BaseException) -> bool:
    """A 5xx answer: retrying the same mail would be refused the same way."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def error_name(exc: BaseException) -> str:
    """What went wrong, without the server's text (it may quote the address)."""
    return f"{type(exc).__name__}: {getattr(exc, 'smtp_code', '')}".strip()


def quit_politely(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except SMTP_ERRORS:
        client.close()
