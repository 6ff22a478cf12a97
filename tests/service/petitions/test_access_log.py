"""The web server's access lines name the request, never the client: next to a signing request an
address would say who signed what."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from shared import runtime
from shared.logs import AccessLogFilter


def test_access_lines_carry_no_client_address(
    petitions: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nameko.web.server")
    response = petitions.http.get(
        "/api/petitions?limit=1", headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert response.status_code == 200
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "nameko.web.server" and "/api/petitions" in r.getMessage()
    ]
    assert lines, "no access line was logged"
    for line in lines:
        assert "203.0.113.7" not in line and "127.0.0.1" not in line, line
        assert line.startswith('"GET /api/petitions') and '" 200 ' in line, line


@pytest.mark.parametrize("peer", ["('203.0.113.7', 51234)", "('2001:db8::7', 51234, 0, 0)"])
def test_the_servers_other_lines_lose_the_peer_address(peer: str) -> None:
    line = f"(4242) timed out {peer}"
    record = logging.LogRecord("nameko.web.server", logging.DEBUG, __file__, 1, line, (), None)
    AccessLogFilter().filter(record)
    assert record.getMessage() == "(4242) timed out (a client)"


@pytest.mark.skipif(
    runtime.active() != runtime.HUB, reason="a part of the hub's runtime (eventlet's server: stock)"
)
def test_access_lines_are_made_only_while_they_are_logged() -> None:
    import socket

    from shared.web import HubWebServer

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    logger = logging.getLogger("nameko.web.server")
    level = logger.level
    try:
        server = HubWebServer().get_wsgi_server(sock, lambda environ, start: [])
        logger.setLevel(logging.WARNING)
        assert not server.log_output  # eventlet skips formatting the line
        logger.setLevel(logging.INFO)
        assert server.log_output
    finally:
        logger.setLevel(level)
        sock.close()


def test_another_servers_access_lines_lose_unsubscribe_tokens_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """eventlet's own WSGI server's line (nameko's stock server): the filter cuts the token."""
    import eventlet
    import eventlet.wsgi
    import requests

    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    logger = logging.getLogger("tests.stock_server")
    logger.addFilter(AccessLogFilter())
    sock = eventlet.listen(("127.0.0.1", 0))
    server = eventlet.spawn(eventlet.wsgi.server, sock, app, log=logger)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            url = f"http://127.0.0.1:{sock.getsockname()[1]}/unsubscribe/s3cr3t-token?a=b"
            assert requests.post(url, timeout=5).status_code == 200
    finally:
        server.kill()
        sock.close()
    lines = [r.getMessage() for r in caplog.records if r.name == logger.name]
    assert any('"POST /unsubscribe/… HTTP/1.1" 200' in line for line in lines), lines
    assert not [line for line in lines if "s3cr3t" in line or "a=b" in line]
