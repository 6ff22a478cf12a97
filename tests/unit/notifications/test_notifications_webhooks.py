"""Sending one webhook to a real HTTP server on loopback: headers, limits, failures, SSRF."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook

from services.notifications.webhooks import domain
from services.notifications.webhooks.adapters import sender
from services.notifications.webhooks.domain import ForbiddenTarget


class Endpoint:
    """Answers POSTs with ``status`` and ``body`` after ``delay`` seconds; records what came."""

    def __init__(self, keepalive: bool = False) -> None:
        self.status = 200
        self.body = b"ok"
        self.delay = 0.0
        self.headers: dict[str, str] = {}
        self.extra_headers: dict[str, str] = {}
        self.received: list[tuple[dict[str, str], str]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keepalive else "HTTP/1.0"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                endpoint.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                time.sleep(endpoint.delay)
                self.send_response(endpoint.status)
                for name, value in endpoint.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(endpoint.body)))
                self.end_headers()
                self.wfile.write(endpoint.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    found = Endpoint()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_a_delivery_carries_standard_webhooks_headers(endpoint: Endpoint) -> None:
    secret = domain.new_secret()
    body = '{"id":"evt-1"}'
    result = sender.send(endpoint.url, "evt-1", [secret], body, allow_private=True)
    assert result.outcome == domain.SUCCESS and result.status_code == 200 and result.excerpt == "ok"
    headers, received = endpoint.received[0]
    assert received == body
    assert headers["webhook-id"] == "evt-1"
    assert headers["content-type"] == "application/cloudevents+json"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 5
    assert Webhook(secret).verify(received, headers) == {"id": "evt-1"}


def test_loopback_targets_are_refused_at_connection_time(endpoint: Endpoint) -> None:
    result = sender.send(endpoint.url, "evt-1", [domain.new_secret()], "{}", allow_private=False)
    assert result.outcome == domain.BLOCKED_TARGET
    assert endpoint.received == []


def test_a_host_name_resolving_to_loopback_is_refused(endpoint: Endpoint) -> None:
    url = endpoint.url.replace("127.0.0.1", "localhost")
    result = sender.send(url, "evt-1", [domain.new_secret()], "{}", allow_private=False)
    assert result.outcome == domain.BLOCKED_TARGET and endpoint.received == []


def test_subscription_time_check_resolves_the_host() -> None:
    with pytest.raises(ForbiddenTarget):
        sender.ensure_public_target(domain.parse_target("http://localhost:8080/", False), False)
    with pytest.raises(ForbiddenTarget):
        sender.ensure_public_target(domain.parse_target("http://169.254.169.254/", False), False)
    sender.ensure_public_target(domain.parse_target("http://localhost:8080/", False), True)


def test_the_response_excerpt_is_bounded(endpoint: Endpoint) -> None:
    endpoint.status, endpoint.body = 500, b"x" * 200_000
    result = sender.send(endpoint.url, "evt-1", [domain.new_secret()], "{}", allow_private=True)
    assert result.outcome == domain.HTTP_ERROR and result.status_code == 500
    assert len(result.excerpt) == sender.EXCERPT_BYTES


def test_after_an_answer_too_long_to_read_the_next_send_is_clean() -> None:
    """The unread rest of a long answer must not be taken for the next answer on a kept-alive
    connection: that connection is dropped, and the next send opens another."""
    endpoint = Endpoint(keepalive=True)
    try:
        endpoint.status, endpoint.body = 500, b"x" * 200_000
        long = sender.send(endpoint.url, "evt-1", [domain.new_secret()], "{}", True)
        assert long.status_code == 500
        endpoint.status, endpoint.body = 200, b"fine"
        after = sender.send(endpoint.url, "evt-2", [domain.new_secret()], "{}", True)
        assert (after.outcome, after.status_code, after.excerpt) == (domain.SUCCESS, 200, "fine")
        assert [h["webhook-id"] for h, _ in endpoint.received] == ["evt-1", "evt-2"]
    finally:
        endpoint.server.shutdown()
        endpoint.server.server_close()


def test_redirects_are_not_followed(endpoint: Endpoint) -> None:
    endpoint.status, endpoint.extra_headers = 307, {"Location": endpoint.url + "/elsewhere"}
    result = sender.send(endpoint.url, "evt-1", [domain.new_secret()], "{}", allow_private=True)
    assert result.outcome == domain.HTTP_ERROR and result.status_code == 307
    assert len(endpoint.received) == 1


def test_retry_after_is_read(endpoint: Endpoint) -> None:
    endpoint.status, endpoint.extra_headers = 429, {"Retry-After": "120"}
    result = sender.send(endpoint.url, "evt-1", [domain.new_secret()], "{}", allow_private=True)
    assert result.retry_after == 120.0


def test_a_slow_endpoint_times_out(endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sender, "TIMEOUT_SECONDS", 0.3)
    endpoint.delay = 1.5
    result = sender.send(endpoint.url, "evt-1", [domain.new_secret()], "{}", allow_private=True)
    assert result.outcome == domain.TIMEOUT and result.duration_ms < 1200


def test_a_closed_port_is_a_connection_error(endpoint: Endpoint) -> None:
    endpoint.server.shutdown()
    endpoint.server.server_close()
    result = sender.send(endpoint.url, "evt-1", [domain.new_secret()], "{}", allow_private=True)
    assert result.outcome == domain.CONNECTION_ERROR
