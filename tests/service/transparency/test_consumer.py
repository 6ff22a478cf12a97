"""The consumer: idempotent redelivery, bad items to dead letters, holds across events."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from shared.envelope import Envelope

from .support import Petition, eventually, leaves_event


def _rows(log_db: sa.Engine, sql: str) -> list[Any]:
    with log_db.connect() as conn:
        return list(conn.execute(sa.text(sql)))


def _size(log_db: sa.Engine) -> int:
    return int(_rows(log_db, "SELECT size FROM log_state")[0].size)


def test_a_redelivered_event_enters_the_log_once(
    transparency: Any, publish: Callable[[Envelope], None], log_db: Any
) -> None:
    petition = Petition()
    event = leaves_event([petition.open(), petition.sign(), petition.sign()])
    publish(event)
    eventually(lambda: _size(log_db) == 3, what="integration")
    publish(event)
    publish(leaves_event(list(event.payload["leaves"]), event_id=event.id))
    publish(leaves_event([petition.sign()]))  # a later event, so the repeats were consumed
    eventually(lambda: _size(log_db) == 4, what="the later event")
    time.sleep(1.2)
    assert _size(log_db) == 4
    lines = [r.line for r in _rows(log_db, "SELECT line FROM log_entries")]
    assert len(set(lines)) == len(lines) == 4


def test_bad_items_go_to_dead_letters_and_never_into_the_log(
    transparency: Any, publish: Callable[[Envelope], None], log_db: Any
) -> None:
    petition, other = Petition(), Petition()
    good = petition.sign()
    wrong_petition = dict(other.sign(), petition_id=petition.id)
    bad_commitment = dict(petition.sign(), commitment="0" * 64)
    forged = petition.withdraw(good["commitment"])
    forged["secret"] = "1" * 64  # does not open the commitment
    items = [
        petition.open(),
        good,
        wrong_petition,
        bad_commitment,
        forged,
        {"kind": "sign", "petition_id": "BAD", "line": "x"},
        {"kind": "nonsense", "petition_id": petition.id},
        "not an object",
        dict(petition.close(1), count=2),
        {"kind": "open", "petition_id": petition.id, "line": "v1 open " + "x" * 300},
    ]
    publish(leaves_event(items))
    publish(Envelope(type="petition.log_leaves_recorded", payload={"x": 1}, source="petitions"))
    eventually(lambda: _size(log_db) == 2, what="the good items")
    letters = eventually(lambda: len(_rows(log_db, "SELECT * FROM dead_letters")) >= 9 or None)
    assert letters
    reasons = [r.reason for r in _rows(log_db, "SELECT reason FROM dead_letters")]
    assert sum(r.startswith("item ") for r in reasons) == 8
    lines = [r.line for r in _rows(log_db, "SELECT line FROM log_entries ORDER BY idx")]
    assert lines == [items[0]["line"], good["line"]]


def test_holds_keep_order_across_events(
    transparency: Any, publish: Callable[[Envelope], None], log_db: Any
) -> None:
    petition = Petition()
    sign = petition.sign()
    # the withdrawal and the close come before what they wait for
    publish(leaves_event([petition.withdraw(sign["commitment"]), petition.close(1)]))
    publish(leaves_event([petition.erase()]))
    time.sleep(1.5)
    assert _size(log_db) == 0
    late = petition.sign()
    publish(leaves_event([petition.open(), sign, late]))
    eventually(lambda: _size(log_db) == 6, what="everything, in order")
    lines = [r.line for r in _rows(log_db, "SELECT line FROM log_entries ORDER BY idx")]
    kinds = [line.split()[1] for line in lines]
    assert kinds == ["open", "sign", "sign", "withdraw", "close", "erase"]
    assert lines[3].split()[3] == str(lines.index(sign["line"]))
