"""The operator's read of the bus messages no consumer could handle (shared.consumers)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.notifications.storage.tables import dead_letters


def dead_letter_page(conn: Any, limit: int, before: int | None) -> list[Any]:
    """Newest first, from before the id ``before`` (keyset pagination)."""
    query = sa.select(dead_letters)
    if before is not None:
        query = query.where(dead_letters.c.id < before)
    return list(conn.execute(query.order_by(dead_letters.c.id.desc()).limit(limit)))
