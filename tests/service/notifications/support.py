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


class _Server(ThreadingHTTPServer):
    # NOTE: the default listen backlog (5) drops the SYNs of a burst of sends, which the sender
    # then retries a second later: the lag would be the test's, not the hub's.
    request_queue_size = 128


@dataclass
class Receiver:
    """An agency's webhook endpoint on loopback; answers ``statuses`` in turn (the last repeats).

    The path is random so that subscriptions left by earlier tests, whose ports may be reused,
    are answered 404 and never recorded.
    """

    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    answer_headers: dict[str, str] = field(default_factory=dict)
    answer_body: bytes = b"ok"
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = free_port()
        self.path = f"/hooks/{uuid.uuid4().hex}"
        self.url = f"http://127.0.0.1:{self.port}{self.path}"
        self._lock = threading.Lock()

    def start(self) -> Receiver:
        self.server = _Server(("127.0.0.1", self.port), self._handler())
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
                for name, value in receiver.answer_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.answer_body)))
                self.end_headers()
                self.wfile.write(receiver.answer_body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"{len(self.received)} of {count} deliveries arrived"
        return list(self.received)


def wait_until(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def openapi_path(url_rule: str) -> str:
    """A Werkzeug rule (``/a/<string:id>``) as an OpenAPI path (``/a/{id}``)."""
    import re

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", url_rule)


def check_against_openapi(document: dict[str, Any], path: str, method: str, response: Any) -> None:
    """The answer is one the document promises: its status is listed, its JSON body matches."""
    from jsonschema import Draft202012Validator

    operation = document["paths"][path][method.lower()]
    described = operation["responses"].get(str(response.status_code))
    assert described, f"{method} {path} answered {response.status_code}, not in the document"
    content = described.get("content", {})
    if "application/json" in content:
        schema = {**content["application/json"]["schema"], "components": document["components"]}
        Draft202012Validator(schema).validate(response.json())
    else:
        assert not response.content or response.headers["Content-Type"].split(";")[0] in content


class EventTap:
    """Every event the notifications service publishes (its outbox relay), as seen on the bus."""

    def __init__(self, amqp_uri: str) -> None:
        from kombu import Connection, Queue

        from shared.bus import event_exchange

        self.connection = Connection(amqp_uri)
        self.queue = Queue(
            f"test-tap-{uuid.uuid4().hex}",
            exchange=event_exchange("notifications"),
            routing_key="#",
            exclusive=True,
            auto_delete=True,
        )
        self.queue(self.connection.channel()).declare()
        self.seen: list[dict[str, Any]] = []

    def wait_for(self, event_type: str, timeout: float = 10.0, **payload: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.seen:
                found = event["type"] == event_type
                if found and all(event["payload"].get(k) == v for k, v in payload.items()):
                    return event
            self._drain()
        raise AssertionError(f"no {event_type} {payload} within {timeout}s: {self.seen}")

    def _drain(self) -> None:
        message = self.queue(self.connection.default_channel).get(no_ack=True)
        if message is None:
            time.sleep(0.1)
        else:
            self.seen.append(message.payload)

    def close(self) -> None:
        self.connection.release()


class Mailbox:
    """A real SMTP server (aiosmtpd) on a loopback port chosen beforehand (port 0 fails)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.messages: list[Any] = []
        self.controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        import email
        import email.policy

        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def start(self) -> Mailbox:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"{len(self.messages)} of {count} mails arrived"
        return list(self.messages)

    def to(self, address: str) -> list[Any]:
        return [message for rcpts, message in self.messages if address in rcpts]
