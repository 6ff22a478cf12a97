"""Recording the leaves petitions sends: stored as pending, once per event (the inbox), the
malformed items apart in dead letters. Nothing here touches the log itself."""

from __future__ import annotations

import json

from services.transparency.commands import LEAVES_RECORDED, LeavesRecorded
from services.transparency.storage import log
from shared.clock import utcnow
from shared.consumers import MAX_DEAD_LETTER_CHARS
from shared.db import UnitOfWork
from shared.inbox import first_delivery

CONSUMER = "transparency.leaves"


def record_leaves(uow: UnitOfWork, event: LeavesRecorded) -> int:
    """Store the event's items as pending leaves; how many (0 for a redelivery)."""
    if not first_delivery(uow, CONSUMER, event.event_id):
        uow.rollback()
        return 0
    now = utcnow()
    rows = [
        {
            "event_id": event.event_id,
            "position": item.position,
            "kind": item.kind,
            "petition_id": item.petition_id,
            "line": item.line,
            "commitment": item.commitment,
            "secret": item.secret,
            "count": item.count,
            "received_at": now,
        }
        for item in event.items
    ]
    added = log.add_pending(uow, rows)
    # NOTE: a bad item never enters the log; the others of its event still do (each stands
    # alone: a hold keeps back what depends on a missing one).
    log.add_dead_letters(
        uow,
        [
            {
                "consumer": CONSUMER,
                "routing_key": LEAVES_RECORDED,
                "reason": f"item {bad.position}: {bad.reason}"[:2000],
                "body": json.dumps(
                    {"event_id": event.event_id, "position": bad.position, "item": bad.item},
                    default=str,
                )[:MAX_DEAD_LETTER_CHARS],
                "received_at": now,
            }
            for bad in event.bad
        ],
    )
    uow.commit()
    return added
