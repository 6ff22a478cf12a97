"""One database engine per notifications process: its workers, the outbox relay, the delivery
loop, the mail loop, the fan-out desk and the token deny-list share the service's Database and its
one pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from shared.dependencies import AccessTokens, Database


def test_a_started_notifications_container_makes_one_engine_for_its_work(
    start_notifications: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[sa.Engine] = []
    create_engine = sa.create_engine

    def counted(*args: Any, **kwargs: Any) -> sa.Engine:
        made.append(create_engine(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(sa, "create_engine", counted)
    container = start_notifications()
    [database] = [d for d in container.dependencies if isinstance(d, Database)]
    [tokens] = [d for d in container.dependencies if isinstance(d, AccessTokens)]
    assert made == [database.engine]
    assert tokens.revocations.engine is database.engine
    for name in ("deliveries", "mails", "fan_out"):
        [loop] = [d for d in container.dependencies if getattr(d, "attr_name", None) == name]
        assert loop.database is database, name
