"""Connections kept across work: a pooled database connection that died while idle is replaced
before use; webhook sends reuse their connection to an endpoint and never keep its cookies."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sqlalchemy as sa

import shared.db
from services.notifications.webhooks.adapters import sender
from shared.db import make_engine


def test_an_idle_pooled_connection_killed_by_the_server_is_replaced_before_use(
    database_urls, monkeypatch
):
    monkeypatch.setattr(shared.db, "IDLE_PING_SECONDS", 0.0)  # every checkout counts as idle
    engine = make_engine(database_urls["notifications"], pool_size=1, max_overflow=0)
    admin = make_engine(database_urls["notifications"], pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            first = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as conn:  # what a restart or an idle timeout does to it
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        with engine.connect() as conn:
            second = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        assert second != first
    finally:
        engine.dispose()
        admin.dispose()


class _Endpoint(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    seen: list[tuple[int, str | None]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append((self.client_address[1], self.headers.get("Cookie")))
        self.send_response(204)
        self.send_header("Set-Cookie", "tracker=1; Path=/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def test_webhook_sends_reuse_their_connection_and_keep_no_cookie():
    _Endpoint.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        for n in range(3):
            result = sender.send(url, f"msg_{n}", ["whsec_" + "A" * 32], "{}", True)
            assert result.status_code == 204
    finally:
        server.shutdown()
        server.server_close()
    ports = {port for port, _ in _Endpoint.seen}
    assert len(_Endpoint.seen) == 3 and len(ports) == 1, _Endpoint.seen
    assert all(cookie is None for _, cookie in _Endpoint.seen)
