"""One-click unsubscribe (RFC 8058) from whichever list the token belongs to."""

from __future__ import annotations

from services.notifications.mail.handlers import authors, citizens
from shared.db import UnitOfWork


def unsubscribe(uow: UnitOfWork, token: str) -> bool:
    """Forget the address behind the token; False if no list knew it.

    NOTE: one URL for both lists; a token is random, so it names a row in at most one.
    """
    return citizens.unsubscribe(uow, token) or authors.unsubscribe(uow, token)
