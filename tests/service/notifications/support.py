"""Helpers of the notifications service tests: petition events, webhook receivers, waiting."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shared.envelope import Envelope
from shared.testing import free_port


def petition_event(event_type: str, **payload: Any) -> Envelope:
    return Envelope(
        type=event_type, payload=payload, source="petitions", correlation_id=uuid.uuid4().hex
    )


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """An agency's webhook endpoint on loopback; answers ``statuses`` in turn (the last repeats).

    The path is random so that subscriptions left by earlier tests, whose ports may be reused,
    are answered 404 and never recorded.
    """

    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = free_port()
        self.path = f"/hooks/{uuid.uuid4().hex}"
        self.url = f"http://127.0.0.1:{self.port}{self.path}"
        self._lock = threading.Lock()

    def start(self) -> Receiver:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, headers: dict[str, str], body: bytes) -> int:
        time.sleep(self.delay)
        with self._lock:
            self.received.append(Received(headers, body, time.monotonic()))
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != receiver.path:
                    self.send_response(404)
                else:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    self.send_response(receiver._answer(headers, body))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"{len(self.received)} of {count} deliveries arrived"
        return list(self.received)


def wait_until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
