"""The agency's endpoint on loopback: verifies Standard Webhooks signatures, keeps each count
event's arrival time (green WSGI server in the bench process)."""

from __future__ import annotations

import json
import time
from typing import Any

import eventlet
import eventlet.wsgi

from shared.testing import free_port


class _Quiet:
    def write(self, *_: Any) -> None:
        pass


class WebhookReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.secret: str | None = None
        # (arrival perf_counter, petition id, signature_count) of each count event
        self.counts: list[tuple[float, str, int]] = []
        self.received = 0
        self.rejected: list[str] = []
        self._server: Any = None

    def start(self) -> WebhookReceiver:
        sock = eventlet.listen(("127.0.0.1", self.port))
        self._server = eventlet.spawn(
            eventlet.wsgi.server, sock, self._app, log=_Quiet(), log_output=False
        )
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.kill()
            self._server = None

    def _app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        from standardwebhooks.webhooks import Webhook

        arrived = time.perf_counter()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {
            key[5:].lower().replace("_", "-"): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        try:
            Webhook(self.secret or "").verify(body, headers)
        except Exception as exc:  # noqa: BLE001 - record any verification failure
            self.rejected.append(str(exc))
            start_response("400 Bad Request", [("Content-Length", "0")])
            return [b""]
        self.received += 1
        event = json.loads(body)
        if event.get("type", "").endswith("petition.signature_count_changed"):
            data = event.get("data") or {}
            self.counts.append((arrived, data["petition_id"], int(data["signature_count"])))
        start_response("204 No Content", [])
        return [b""]

    def highest(self, petition_id: str) -> int:
        return max((c for _, p, c in self.counts if p == petition_id), default=0)
