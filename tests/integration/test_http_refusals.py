"""The services' HTTP server (shared.runtime.httpserver) refuses what it must, in JSON, and ends the
connection: malformed, smuggled, too long or too slow requests, bodies too large, a failing
application, header injection; and any bytes get an answer or the end of the connection."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

import eventlet
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.runtime import http_reading, httpserver
from tests.integration.http_wire import (
    LOG,
    MAX_BODY,
    closed,
    connect,
    read_response,
)

# --- refusals ----------------------------------------------------------------------------------


def _refused(port: int, raw: bytes) -> dict[str, Any]:
    with connect(port) as conn:
        conn.sendall(raw)
        response = read_response(conn)
        assert response["headers"]["connection"] == "close"
        assert closed(conn)
    assert response["headers"]["content-type"] == "application/json"
    return response


def _coded(*codings: bytes) -> bytes:
    """A chunked POST with these Transfer-Encoding fields, and a request pipelined after it."""
    fields = b"".join(b"Transfer-Encoding: %s\r\n" % coding for coding in codings)
    return (
        b"POST / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n2\r\n{}\r\n0\r\n\r\n"
        b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"GARBAGE\r\n\r\n", 400, "bad_request"),
        (b"GET / HTTP/1.1\r\nHost x\r\n\r\n", 400, "bad_request"),
        # request smuggling: both lengths, or two different ones
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
            "bad_request",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            400,
            "bad_request",
        ),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414, "uri_too_long"),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431, "headers_too_large"),
        (
            b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n",
            431,
            "headers_too_large",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY + 1),
            413,
            "body_too_large",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n" % (MAX_BODY + 1)
            + b"a" * (MAX_BODY + 1)
            + b"\r\n0\r\n\r\n",
            413,
            "body_too_large",
        ),
        # framing (RFC 9112 6.1): a transfer coding other than chunked alone, or in HTTP/1.0;
        # the request pipelined after it is never read as one
        (_coded(b"identity, chunked"), 501, "not_implemented"),
        (_coded(b"gzip, chunked"), 501, "not_implemented"),
        (_coded(b"gzip", b"chunked"), 501, "not_implemented"),
        (_coded(b"chunked", b"chunked"), 400, "bad_request"),  # llhttp refuses it first
        (
            b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\n{}\r\n0\r\n\r\nGET /next HTTP/1.0\r\n\r\n",
            400,
            "bad_request",
        ),
        # Host (RFC 9112 3.2): required in HTTP/1.1, never twice
        (b"GET / HTTP/1.1\r\n\r\n", 400, "bad_request"),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "bad_request"),
        (b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400, "bad_request"),
        # only HTTP/1.0 and HTTP/1.1 (llhttp itself refuses other versions but 0.9 and 2.0)
        (b"GET /\r\n\r\n", 505, "http_version_not_supported"),
        (b"GET / HTTP/0.9\r\n\r\n", 505, "http_version_not_supported"),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http_version_not_supported"),
        (b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 400, "bad_request"),
        # trailer fields beyond the header bounds: too many, or one without end
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
            + b"".join(b"X-%d: 1\r\n" % i for i in range(101))
            + b"\r\n",
            431,
            "headers_too_large",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: "
            + b"a" * 200_000,
            431,
            "headers_too_large",
        ),
    ],
)
def test_bad_requests_get_a_json_error_and_the_connection_ends(
    http_hub: Any, raw: bytes, status: int, code: str
) -> None:
    port, seen = http_hub
    response = _refused(port, raw)
    assert response["status"] == status
    assert json.loads(response["body"])["error"] == code
    assert not seen.environs  # the application never saw it


def test_a_body_too_large_is_refused_before_it_is_sent(http_hub: Any) -> None:
    port, _ = http_hub
    with connect(port) as conn:
        conn.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        response = read_response(conn)
    assert response["status"] == 413  # not 100 Continue: the client need not send it


def test_a_failing_application_is_logged_and_answered_500(
    http_hub: Any, caplog: pytest.LogCaptureFixture
) -> None:
    port, _ = http_hub
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        response = _refused(port, b"GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response["status"] == 500
    assert json.loads(response["body"]) == {
        "error": "internal_error",
        "message": "something went wrong on our side",
    }
    assert b"Traceback" not in response["body"]
    assert any(r.exc_info and "GET /fail" in r.getMessage() for r in caplog.records)


def test_a_header_with_a_line_break_is_never_sent(http_hub: Any) -> None:
    port, _ = http_hub
    response = _refused(port, b"GET /inject HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response["status"] == 500 and "set-cookie" not in response["headers"]


def test_a_client_too_slow_with_its_headers_is_disconnected(
    http_hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_reading, "HEADERS_TIMEOUT", 0.5)
    port, seen = http_hub
    with connect(port) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\n")
        for _ in range(3):  # trickling bytes does not extend the deadline
            eventlet.sleep(0.2)
            conn.sendall(b"X: 1\r\n")
        response = read_response(conn)
        assert response["status"] == 408
        assert closed(conn)
    assert not seen.environs


def test_a_client_too_slow_with_its_body_is_disconnected(
    http_hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_reading, "BODY_DEADLINE", 0.5)  # 30 s in service
    port, seen = http_hub
    with connect(port) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{")
        for _ in range(4):  # a byte now and then does not extend the deadline
            eventlet.sleep(0.2)
            try:
                conn.sendall(b" ")
            except ConnectionError:
                break  # refused already
        response = read_response(conn)
        assert response["status"] == 408
        assert json.loads(response["body"])["error"] == "timeout"
        assert closed(conn)
    assert not seen.environs


def test_an_idle_kept_alive_connection_is_closed(
    http_hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(httpserver, "IDLE_TIMEOUT", 0.3)
    port, _ = http_hub
    with connect(port) as conn:
        conn.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(conn)["status"] == 200
        eventlet.sleep(0.6)
        assert closed(conn)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.lists(
            st.sampled_from(
                [
                    b"GET / HTTP/1.1\r\n",
                    b"POST /x?y HTTP/1.0\r\n",
                    b"Host: x\r\n",
                    b"Content-Length: 3\r\n",
                    b"Content-Length: -1\r\n",
                    b"Transfer-Encoding: chunked\r\n",
                    b"Expect: 100-continue\r\n",
                    b"Connection: close\r\n",
                    b"\r\n",
                    b"abc",
                    b"3\r\nabc\r\n0\r\n\r\n",
                    b"\x00\xff",
                    b" \t",
                ]
            ),
            max_size=12,
        ).map(b"".join),
    )
)
def test_any_bytes_get_an_answer_or_the_end_of_the_connection(http_hub: Any, raw: bytes) -> None:
    port, _ = http_hub
    with connect(port) as conn:
        conn.sendall(raw)
        conn.shutdown(socket.SHUT_WR)  # the client has said everything
        conn.settimeout(10)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    # Either nothing (an incomplete request the client gave up on) or HTTP answers only.
    assert data == b"" or data.startswith(b"HTTP/1.1 ")
    assert b"Traceback" not in data
    assert b" 500 " not in data.split(b"\r\n", 1)[0]


def test_a_refused_client_still_sending_its_body_reads_the_refusal(http_hub: Any) -> None:
    port, _ = http_hub
    with connect(port) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
        conn.sendall(b"a" * 200_000)  # more than the server reads before it refuses
        eventlet.sleep(0.3)  # the refusal has come back and the server has closed its side
        conn.sendall(b"a" * 1000)  # more of the body: a socket closed unread would reset
        eventlet.sleep(0.1)
        response = read_response(conn)  # not a reset: the server drained before closing
    assert response["status"] == 413
