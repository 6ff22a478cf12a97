"""The operators' page of bus messages no consumer could handle (webhooks' and e-mail's alike:
shared.consumers keeps them in the service's one ``dead_letters`` table)."""

from __future__ import annotations

from services.notifications.storage.dead_letters import dead_letter_page
from services.notifications.webhooks.handlers.subscriptions import Page
from shared.db import UnitOfWork


def dead_letters(uow: UnitOfWork, limit: int, before: int | None) -> Page:
    rows = dead_letter_page(uow, limit + 1, before)
    return Page(rows[:limit], len(rows) > limit)
