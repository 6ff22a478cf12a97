"""The bench's lean HTTP client (bench.http.Keepalive) against a real HTTP server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import eventlet
import eventlet.wsgi
import pytest

from bench.http import Keepalive
from bench.load import Signer, closed_loop
from shared.testing import free_port


class _Quiet:
    def write(self, *_: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[int, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(
            {
                "method": environ["REQUEST_METHOD"],
                "path": environ["PATH_INFO"],
                "auth": environ.get("HTTP_AUTHORIZATION", ""),
            }
        )
        path = environ["PATH_INFO"]
        if path == "/close":
            start_response("200 OK", [("Content-Length", "3"), ("Connection", "close")])
            return [b"bye"]
        if path == "/chunked":
            start_response("200 OK", [])  # no length, a generator: eventlet answers chunked
            return (part for part in (b"a", b"b"))  # type: ignore[return-value]
        body = b'{"receipt": "x"}'
        start_response("201 Created", [("Content-Length", str(len(body)))])
        return [body]

    port = free_port()
    sock = eventlet.listen(("127.0.0.1", port))
    thread = eventlet.spawn(eventlet.wsgi.server, sock, app, log=_Quiet(), log_output=False)
    try:
        yield port, seen
    finally:
        thread.kill()
        sock.close()


def test_keepalive_reads_status_and_body_and_reuses_the_connection(server: Any) -> None:
    port, seen = server
    conn = Keepalive("127.0.0.1", port)
    request = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    assert conn.exchange(request) == (201, b'{"receipt": "x"}')
    first = conn._sock
    assert conn.exchange(request)[0] == 201
    assert conn._sock is first  # kept alive
    conn.close()
    assert len(seen) == 2


def test_keepalive_reopens_after_connection_close(server: Any) -> None:
    port, seen = server
    conn = Keepalive("127.0.0.1", port)
    assert conn.exchange(b"GET /close HTTP/1.1\r\nHost: x\r\n\r\n") == (200, b"bye")
    assert conn._sock is None
    assert conn.exchange(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 201
    conn.close()


def test_keepalive_refuses_a_chunked_answer(server: Any) -> None:
    port, _ = server
    conn = Keepalive("127.0.0.1", port)
    with pytest.raises(ValueError, match="chunked"):
        conn.exchange(b"GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n")
    assert conn._sock is None


def test_signer_sends_the_token_and_counts_failures_as_status_zero(server: Any) -> None:
    port, seen = server
    signer = Signer(f"http://127.0.0.1:{port}")
    conn = signer.connection()
    assert signer.sign(conn, ("tok123", "p1")) == 201
    assert seen[-1] == {
        "method": "POST",
        "path": "/api/petitions/p1/signatures",
        "auth": "Bearer tok123",
    }
    conn.close()
    dead = Signer(f"http://127.0.0.1:{free_port()}", timeout=1.0)
    assert dead.sign(dead.connection(), ("t", "p")) == 0


def test_closed_loop_rates_a_run_whose_pairs_run_out_over_the_time_it_ran(server: Any) -> None:
    port, seen = server
    pairs = iter([(f"t{i}", "p1") for i in range(200)])
    result = closed_loop(f"http://127.0.0.1:{port}", pairs, 4, warmup=0.0, duration=30.0)
    assert result["pairs_exhausted"]
    assert result["accepted"] == 200 == len(seen)
    assert result["measured_s"] < 10  # 200 requests on loopback, not the 30 s planned
    assert result["signatures_per_second"] == pytest.approx(200 / result["measured_s"], rel=0.05)
    assert result["signatures_per_second"] > 200 / 30 * 2
