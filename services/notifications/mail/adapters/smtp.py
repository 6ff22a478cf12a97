"""Sending citizen e-mail: the SMTP port (stdlib ``smtplib``, cooperative under eventlet's
monkey patching) and the mail loop, a managed thread that sends what ``mail_outbox`` holds.

Like webhook deliveries, mails are claimed with ``FOR UPDATE SKIP LOCKED`` plus a lease, so a
restart loses nothing and replicas share the work. A temporary failure (the server unreachable,
a 4xx answer) is retried on a schedule; a permanent one (5xx) or the end of the schedule drops
the mail (and with it the address). Nothing here logs an address.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import eventlet
from nameko.extensions import DependencyProvider
from prometheus_client import Counter

from services.notifications.mail.schemas.message import MailContext
from services.notifications.mail.storage import citizens as store
from shared.db import make_engine
from shared.dependencies import hub_settings
from shared.envelope import utcnow
from shared.loops import Waker, run_loop
from shared.metrics import _get_or_create, registry_for

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 30.0
RETRY_DELAYS_SECONDS = (5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
BATCH = 20
LEASE_SECONDS = 300.0
POLL_SECONDS = 1.0
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


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


class MailLoop(DependencyProvider):
    """Sends queued citizen e-mail; the service gets it as a handle whose ``wake()`` says "now"."""

    def setup(self) -> None:
        self.settings = hub_settings(self.container.config)
        self.server = SmtpServer.from_url(self.settings.smtp_url)
        url = self.settings.database_url(self.container.service_name)
        self.engine = make_engine(url, pool_size=1, max_overflow=1)  # one sender, one batch
        self.context = MailContext(self.settings.public_url(self.container.service_name))
        registry = registry_for(self.container.service_name)
        self.sent = _get_or_create(
            registry,
            Counter,
            f"hub_{self.container.service_name}_mails_total",
            "Citizen e-mails by outcome (sent, retried, dropped).",
            ["outcome"],
        )
        self._waker = Waker()
        self._stopping = False

    def start(self) -> None:
        self._thread = self.container.spawn_managed_thread(self._run)

    def stop(self) -> None:
        self._stopping = True
        self.wake()
        with eventlet.Timeout(5, False):
            self._thread.wait()
        self.engine.dispose()

    def kill(self) -> None:
        self._stopping = True
        self.wake()
        self.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> MailLoop:
        return self

    def wake(self) -> None:
        self._waker.wake()

    def _run(self) -> None:
        stopping = lambda: self._stopping  # noqa: E731
        run_loop("mail loop", lambda: self.send_due() >= BATCH, stopping, self._waker, POLL_SECONDS)

    def send_due(self) -> int:
        """Send one batch of due mails over one SMTP connection; how many were handled."""
        with self.engine.begin() as conn:
            mails = store.claim_mails(conn, utcnow(), BATCH, timedelta(seconds=LEASE_SECONDS))
        if not mails:
            return 0
        try:
            client = self.server.connect()
        except (OSError, smtplib.SMTPException) as exc:
            for mail in mails:
                self._failed(mail, exc)
            return len(mails)
        try:
            for mail in mails:
                self._send_one(client, mail)
        finally:
            _quit(client)
        return len(mails)

    def _send_one(self, client: smtplib.SMTP, mail: Any) -> None:
        try:
            # NOTE: a str (ASCII by construction): smtplib turns its bare LFs into CRLFs.
            client.sendmail(self.context.sender, [mail.recipient], mail.message)
        except (OSError, smtplib.SMTPException) as exc:
            self._failed(mail, exc)
            return
        with self.engine.begin() as conn:
            store.forget_mail(conn, mail.id)
        self.sent.labels("sent").inc()

    def _failed(self, mail: Any, exc: BaseException) -> None:
        attempts = mail.attempt_count + 1
        error = f"{type(exc).__name__}: {getattr(exc, 'smtp_code', '')}".strip()
        with self.engine.begin() as conn:
            if permanent(exc) or attempts > len(RETRY_DELAYS_SECONDS):
                store.forget_mail(conn, mail.id)
                self.sent.labels("dropped").inc()
                log.warning(
                    "a %s mail was dropped after %d attempts (%s)", mail.kind, attempts, error
                )
                return
            retry_at = utcnow() + timedelta(seconds=RETRY_DELAYS_SECONDS[attempts - 1])
            store.retry_mail(conn, mail.id, attempts, retry_at, error)
        self.sent.labels("retried").inc()
        log.info("a %s mail will be retried (%s)", mail.kind, error)


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()
