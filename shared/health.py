"""``GET /healthz`` (the process is alive) and ``GET /readyz`` (database and broker reachable,
and, in a service that verifies access tokens, its deny-list loaded: shared/denylist.py).

Services inherit :class:`HealthEndpoints`; it needs the service's ``db`` (a
:class:`~shared.dependencies.Database`) and ``config`` (a :class:`~shared.dependencies.Config`).
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from shared.bus import broker_reachable
from shared.web import http, json_response

BROKER_CHECK_CACHE_SECONDS = 2.0
_broker_checked: dict[str, tuple[float, bool]] = {}


def broker_ready(amqp_uri: str) -> bool:
    checked_at, ok = _broker_checked.get(amqp_uri, (0.0, False))
    if time.monotonic() - checked_at > BROKER_CHECK_CACHE_SECONDS:
        ok = broker_reachable(amqp_uri)
        _broker_checked[amqp_uri] = (time.monotonic(), ok)
    return ok


def database_ready(uow: Any) -> bool:
    try:
        uow.execute(sa.text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False


class HealthEndpoints:
    db: Any
    config: Any

    @http("GET", "/healthz")
    def healthz(self, request: Any) -> Any:
        return json_response({"status": "ok"})

    @http("GET", "/readyz")
    def readyz(self, request: Any) -> Any:
        checks = {
            "database": database_ready(self.db),
            "broker": broker_ready(self.config.amqp_uri),
        }
        tokens = getattr(self, "tokens", None)
        if tokens is not None:
            checks["revocations"] = tokens.ready()
        ready = all(checks.values())
        return json_response(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status=200 if ready else 503,
        )
