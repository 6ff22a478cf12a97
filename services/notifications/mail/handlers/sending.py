"""Sending what the mail outbox holds, one batch over one SMTP connection.

Like webhook deliveries, mails are claimed with ``FOR UPDATE SKIP LOCKED`` plus a lease, so a
restart loses nothing and replicas share the work. A temporary failure (the server unreachable,
a 4xx answer) is retried on a schedule; a permanent one (5xx) or the end of the schedule drops
the mail (and with it the address). Nothing here logs an address.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from services.notifications.mail.adapters.smtp import (
    SMTP_ERRORS,
    SmtpServer,
    error_name,
    permanent,
    quit_politely,
)
from services.notifications.mail.domain.letters import RETRY_DELAYS_SECONDS
from services.notifications.mail.storage import outbox
from shared.clock import utcnow
from shared.db import UnitOfWork

log = logging.getLogger(__name__)

BATCH = 20
LEASE_SECONDS = 300.0
Count = Callable[[str], None]  # counts one mail's outcome: sent, retried, dropped


def send_due(uow: UnitOfWork, server: SmtpServer, sender: str, count: Count) -> int:
    """Send one batch of due mails over one SMTP connection; how many were handled."""
    mails = outbox.claim_mails(uow, utcnow(), BATCH, timedelta(seconds=LEASE_SECONDS))
    uow.commit()
    if not mails:
        return 0
    try:
        client = server.connect()
    except SMTP_ERRORS as exc:
        for mail in mails:
            _failed(uow, mail, exc, count)
        return len(mails)
    try:
        for mail in mails:
            _send_one(uow, client, sender, mail, count)
    finally:
        quit_politely(client)
    return len(mails)


def _send_one(uow: UnitOfWork, client: smtplib.SMTP, sender: str, mail: Any, count: Count) -> None:
    try:
        # NOTE: a str (ASCII by construction): smtplib turns its bare LFs into CRLFs.
        client.sendmail(sender, [mail.recipient], mail.message)
    except SMTP_ERRORS as exc:
        _failed(uow, mail, exc, count)
        return
    outbox.forget_mail(uow, mail.id)
    uow.commit()
    count("sent")


def _failed(uow: UnitOfWork, mail: Any, exc: BaseException, count: Count) -> None:
    attempts = mail.attempt_count + 1
    error = error_name(exc)
    if permanent(exc) or attempts > len(RETRY_DELAYS_SECONDS):
        outbox.forget_mail(uow, mail.id)
        uow.commit()
        count("dropped")
        log.warning("a %s mail was dropped after %d attempts (%s)", mail.kind, attempts, error)
        return
    retry_at = utcnow() + timedelta(seconds=RETRY_DELAYS_SECONDS[attempts - 1])
    outbox.retry_mail(uow, mail.id, attempts, retry_at, error)
    uow.commit()
    count("retried")
    log.info("a %s mail will be retried (%s)", mail.kind, error)
