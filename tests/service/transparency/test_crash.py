"""A crash of `transparency` mid-integration loses and doubles nothing: an injected failure inside
the round's transaction, and `kill -9` of a real `hub run transparency` process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from hub_verify import merkle
from hub_verify import note as notes
from hub_verify.checkpoint import parse_checkpoint

from shared.envelope import Envelope
from shared.testing import wait_for_http

from .support import Petition, eventually, leaves_event


def _state(log_db: sa.Engine) -> Any:
    with log_db.connect() as conn:
        return conn.execute(sa.text("SELECT * FROM log_state")).one()


def _count(log_db: sa.Engine, table: str) -> int:
    with log_db.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def _assert_whole(log_db: sa.Engine, expected_lines: set[str]) -> None:
    """Every expected leaf once, indices contiguous, stored hashes exactly those of the tree,
    the published checkpoint's root that of the entries."""
    with log_db.connect() as conn:
        rows = conn.execute(sa.text("SELECT idx, line FROM log_entries ORDER BY idx")).all()
        note = conn.execute(sa.text("SELECT published_note FROM log_state")).scalar_one()
    assert [r.idx for r in rows] == list(range(len(rows)))
    lines = [r.line for r in rows]
    assert len(lines) == len(set(lines)) and set(lines) == expected_lines
    size = len(lines)
    assert _count(log_db, "log_hashes") == merkle.stored_hash_count(size)
    assert _count(log_db, "pending_leaves") == 0
    checkpoint = parse_checkpoint(notes.parse_note(note.encode()).text)
    assert checkpoint.size == size
    assert checkpoint.root == merkle.root([merkle.leaf_hash(x.encode()) for x in lines])


def test_a_failure_inside_the_round_leaves_everything_pending(
    transparency: Any,
    publish: Callable[[Envelope], None],
    log_db: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.transparency.storage import log

    failures: list[int] = []
    real = log.set_tree

    def fail_once(uow: Any, size: int, root: bytes) -> None:
        if not failures:
            failures.append(size)
            raise RuntimeError("injected: the process dies before the commit")
        real(uow, size, root)

    monkeypatch.setattr(log, "set_tree", fail_once)
    petition = Petition()
    items = [petition.open(), *(petition.sign() for _ in range(50))]
    publish(leaves_event(items))
    eventually(lambda: failures, what="the injected failure")
    eventually(lambda: _state(log_db).published_size == 51, what="the next round")
    _assert_whole(log_db, {item["line"] for item in items})


def test_kill_9_mid_integration_loses_and_doubles_nothing(
    hub_env: dict[str, str],
    log_settings: Any,
    publish: Callable[[Envelope], None],
    log_db: Any,
) -> None:
    env = {
        **os.environ,
        **hub_env,
        "TRANSPARENCY_DATABASE_URL": log_settings.database_url("transparency"),
    }
    url = log_settings.public_url("transparency")

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603 - our own entry point
            [sys.executable, "-m", "hub", "run", "transparency"], env=env
        )
        wait_for_http(url + "/healthz")
        return process

    process = start()
    try:
        petitions = [Petition() for _ in range(4)]
        expected: set[str] = set()
        for petition in petitions:
            opened = petition.open()
            expected.add(opened["line"])
            publish(leaves_event([opened]))

        def wave() -> None:
            for _ in range(30):
                batch = [p.sign() for p in petitions for _ in range(25)]
                expected.update(item["line"] for item in batch)
                publish(leaves_event(batch))

        wave()
        eventually(lambda: _state(log_db).size > 0, timeout=30, what="a first round")
        # a second wave, and kill -9 while it is being consumed and integrated
        wave()
        time.sleep(0.3)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        killed_at = _state(log_db).size
        assert killed_at < len(expected)
        process = start()
        eventually(
            lambda: _state(log_db).published_size == len(expected),
            timeout=60,
            what="all leaves after the restart",
        )
        _assert_whole(log_db, expected)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
