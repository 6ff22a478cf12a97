"""Held leaves never keep back those behind them; leaves that can never enter the log go to dead
letters with their reason; the held ones are visible in the metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from shared.envelope import Envelope
from shared.metrics import registry_for

from .support import Petition, eventually, leaves_event


def _rows(log_db: sa.Engine, query: str) -> list[Any]:
    with log_db.connect() as conn:
        return list(conn.execute(sa.text(query)).all())


def _lines(log_db: sa.Engine) -> list[str]:
    return [r.line for r in _rows(log_db, "SELECT line FROM log_entries ORDER BY idx")]


def _metric(name: str, labels: dict[str, str] | None = None) -> float | None:
    return registry_for("transparency").get_sample_value(f"hub_transparency_{name}", labels or {})


def test_leaves_held_at_the_front_do_not_starve_those_behind(
    start_transparency: Callable[..., Any],
    publish: Callable[[Envelope], None],
    log_db: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.transparency.handlers import integration

    monkeypatch.setattr(integration, "ROUND_LIMIT", 3)
    start_transparency()
    unopened, opened = Petition(), Petition()
    # more held leaves at the front than a round takes: signs of a petition not opened yet
    held = [unopened.sign() for _ in range(7)]
    publish(leaves_event(held))
    behind = [opened.open(), *(opened.sign() for _ in range(4))]
    publish(leaves_event(behind))
    eventually(lambda: len(_lines(log_db)) == 5, what="the leaves behind the held ones")
    assert set(_lines(log_db)) == {item["line"] for item in behind}
    eventually(lambda: _metric("held_leaves", {"kind": "sign"}) == 7, what="the held gauge")
    assert (_metric("oldest_held_leaf_age_seconds") or 0) > 0
    # the open comes: the held signs enter, three a round, after it
    publish(leaves_event([unopened.open()]))
    eventually(lambda: len(_lines(log_db)) == 13, what="the signs once opened")
    lines = _lines(log_db)
    assert lines[5].startswith(f"v1 open {unopened.id} ")  # causal order: open, then signs
    assert set(lines[6:]) == {item["line"] for item in held}
    eventually(lambda: _metric("held_leaves", {"kind": "sign"}) == 0, what="nothing held")


def test_leaves_that_can_never_enter_go_to_dead_letters(
    transparency: Any,
    publish: Callable[[Envelope], None],
    log_db: Any,
) -> None:
    petition, mismatched = Petition(), Petition()
    first = petition.sign()
    second = petition.sign()
    publish(leaves_event([petition.open(), first, second, mismatched.open()]))
    publish(leaves_event([petition.withdraw(first["commitment"])]))
    eventually(lambda: len(_lines(log_db)) == 5, what="the valid leaves")
    publish(
        leaves_event(
            [
                petition.open(),  # opened already
                petition.withdraw(first["commitment"]),  # withdrawn already
                petition.close(1),
                petition.sign(),  # after the close
                petition.erase(),
                petition.erase(),  # erased already
                mismatched.close(3),  # the log counts 0: held, never dead
            ]
        )
    )
    eventually(
        lambda: len(_rows(log_db, "SELECT id FROM dead_letters")) >= 4, what="four dead letters"
    )
    reasons = [r.reason for r in _rows(log_db, "SELECT reason FROM dead_letters ORDER BY id")]
    assert reasons == [
        "never integrable: a second open of a petition already opened",
        "never integrable: a withdraw of a sign already withdrawn",
        "never integrable: a sign of a petition already closed",
        "never integrable: a second erase of a petition",
    ]
    bodies = _rows(log_db, "SELECT consumer, routing_key, body FROM dead_letters")
    assert {(b.consumer, b.routing_key) for b in bodies} == {
        ("transparency.leaves", "petition.log_leaves_recorded")
    }
    assert all('"secret"' not in b.body for b in bodies)  # never published, never kept
    lines = _lines(log_db)
    assert len(lines) == 7 and lines[5].startswith("v1 close ") and lines[6].startswith("v1 erase ")
    pending = _rows(log_db, "SELECT kind, petition_id FROM pending_leaves")
    assert [(p.kind, p.petition_id) for p in pending] == [("close", mismatched.id)]
    eventually(lambda: _metric("held_leaves", {"kind": "close"}) == 1, what="the held close")


def test_one_small_round_pages_past_the_held_leaves(log_db: sa.Engine) -> None:
    """The round itself, on the real database: three places, seven held leaves in front."""
    import uuid

    from services.transparency.handlers import integration
    from services.transparency.storage import log
    from shared.clock import utcnow
    from shared.db import UnitOfWork

    unopened, opened = Petition(), Petition()
    items = [*(unopened.sign() for _ in range(7)), opened.open(), opened.sign(), opened.sign()]
    event_id = str(uuid.uuid4())
    rows = [
        {
            "event_id": event_id,
            "position": position,
            "kind": item["kind"],
            "petition_id": item["petition_id"],
            "line": item["line"],
            "commitment": item.get("commitment"),
            "received_at": utcnow(),
        }
        for position, item in enumerate(items)
    ]
    uow = UnitOfWork(log_db, "transparency")
    log.add_pending(uow, rows)
    uow.commit()
    done = integration.integrate(UnitOfWork(log_db, "transparency"), limit=3)
    assert done.integrated == 3 and done.size == 3
    assert {p.kind for p in done.held} == {"sign"} and len(done.held) == 7
    assert set(_lines(log_db)) == {item["line"] for item in items[7:]}
