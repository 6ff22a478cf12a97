"""The services' HTTP server (shared.runtime.httpserver) over real sockets: what a WSGI application
sees is what eventlet's server gave it, and connections follow HTTP/1.1 (keep-alive, pipelining,
chunked bodies, 100-continue, HEAD, streamed answers)."""

from __future__ import annotations

import json
import socket
from typing import Any

import eventlet
import pytest

from tests.integration.http_wire import (
    COMPARED,
    Seen,
    closed,
    connect,
    exchange,
    read_response,
    recording_app,
    serve,
)

# --- what the application sees ----------------------------------------------------------------

REQUESTS = [
    b"GET /api/petitions?limit=5&q=%C3%A9cole HTTP/1.1\r\nHost: hub.example\r\n\r\n",
    b"GET /caf%C3%A9/a%2Fb HTTP/1.1\r\nHost: x\r\nAccept: a\r\nAccept: b\r\n\r\n",
    b"POST /api/petitions/7/signatures HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a.b.c\r\n"
    b"Content-Type: application/json\r\nContent-Length: 2\r\nX-Correlation-ID: abc\r\n\r\n{}",
    b"POST /form HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 7\r\nX_Forwarded_For: 203.0.113.9\r\n\r\na=1&b=2",
    b"DELETE /api/petitions/7/signatures/me HTTP/1.1\r\nHost: x\r\nUser-Agent:  spaced  \r\n\r\n",
]


@pytest.mark.parametrize("raw", REQUESTS)
def test_the_application_sees_what_eventlets_server_gave_it(raw: bytes) -> None:
    seen = {"hub": Seen(), "eventlet": Seen()}
    for name, record in seen.items():
        port, (thread, sock) = serve(recording_app(record), name)
        try:
            assert exchange(port, raw)["status"] == 200
        finally:
            thread.kill()
            sock.close()
    ours, theirs = seen["hub"].environs[0], seen["eventlet"].environs[0]
    if b"content-type:" not in raw.lower():
        # eventlet made up "text/plain" (the email package's default); none is given now
        assert theirs.pop("CONTENT_TYPE") == "text/plain" and "CONTENT_TYPE" not in ours
    # eventlet said HTTP/1.0 whatever the client spoke; PEP 3333 asks for the client's version
    assert theirs["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert ours["SERVER_PROTOCOL"] == raw.split(b"\r\n", 1)[0].rsplit(b" ", 1)[1].decode()
    for key in COMPARED:
        assert ours.get(key) == theirs.get(key), key
    headers = {k for k in theirs if k.startswith("HTTP_")}
    assert {k for k in ours if k.startswith("HTTP_")} == headers
    for key in headers:
        assert ours[key] == theirs[key], key
    assert seen["hub"].bodies == seen["eventlet"].bodies
    assert "HTTP_X_FORWARDED_FOR" not in ours  # an underscore name never passes for a dash


def test_repeated_headers_are_joined_and_the_path_is_decoded(http_hub: Any) -> None:
    port, seen = http_hub
    exchange(port, REQUESTS[1])
    environ = seen.environs[0]
    assert environ["HTTP_ACCEPT"] == "a,b"
    assert environ["PATH_INFO"] == "/café/a/b".encode().decode("latin-1")
    assert environ["RAW_PATH_INFO"] == "/caf%C3%A9/a%2Fb"


# --- connections -------------------------------------------------------------------------------


def test_a_kept_alive_connection_serves_requests_in_turn_and_pipelined(http_hub: Any) -> None:
    port, seen = http_hub
    with connect(port) as conn:
        buffer = bytearray()
        conn.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
        first = read_response(conn, buffer)
        conn.sendall(
            b"POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            b"GET /three HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        second, third = read_response(conn, buffer), read_response(conn, buffer)
    assert [json.loads(r["body"])["path"] for r in (first, second, third)] == [
        "/one",
        "/two",
        "/three",
    ]
    assert json.loads(second["body"])["body"] == "abc"
    assert "connection" not in first["headers"] and first["headers"]["date"].endswith("GMT")


def test_a_request_split_into_many_pieces_is_put_together(http_hub: Any) -> None:
    port, seen = http_hub
    raw = b"POST /split HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
    with connect(port) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(raw)):
            conn.sendall(raw[i : i + 1])
            eventlet.sleep(0)
        response = read_response(conn)
    assert json.loads(response["body"]) == {"path": "/split", "body": "hello"}


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        (b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", False),
        (b"GET /a HTTP/1.0\r\n\r\n", False),
        (b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", True),
        (b"GET /close HTTP/1.1\r\nHost: x\r\n\r\n", False),  # the application says close
    ],
)
def test_connections_close_when_the_client_or_the_application_says_so(
    http_hub: Any, raw: bytes, kept: bool
) -> None:
    port, _ = http_hub
    with connect(port) as conn:
        conn.sendall(raw)
        response = read_response(conn)
        assert response["status"] == 200
        if kept:
            assert response["headers"]["connection"] == "keep-alive"
            conn.sendall(raw)
            assert read_response(conn)["status"] == 200
        else:
            assert response["headers"]["connection"] == "close"
            assert closed(conn)


def test_the_connection_header_is_sent_once(http_hub: Any) -> None:
    port, _ = http_hub
    with connect(port) as conn:
        conn.sendall(b"GET /close HTTP/1.1\r\nHost: x\r\n\r\n")  # the application says close too
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    assert data.lower().count(b"\r\nconnection:") == 1


@pytest.mark.parametrize("coding", [b"chunked", b"Chunked ", b"CHUNKED"])
def test_a_chunked_body_reaches_the_application_decoded_with_its_length(
    http_hub: Any, coding: bytes
) -> None:
    port, seen = http_hub
    raw = (
        b"POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding + b"\r\n\r\n"
        b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"
    )
    response = exchange(port, raw)
    assert json.loads(response["body"])["body"] == "Wikipedia"
    assert seen.environs[0]["CONTENT_LENGTH"] == "9"
    assert "HTTP_TRANSFER_ENCODING" not in seen.environs[0]


def test_trailer_fields_are_dropped_not_merged_into_the_headers(http_hub: Any) -> None:
    port, seen = http_hub
    raw = (
        b"POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\nWiki\r\n0\r\nX-Trailer: 1\r\nHost: evil\r\nAuthorization: Bearer forged\r\n\r\n"
        b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    with connect(port) as conn:
        conn.sendall(raw)
        buffer = bytearray()
        first, second = read_response(conn, buffer), read_response(conn, buffer)
    assert json.loads(first["body"])["body"] == "Wiki"
    assert json.loads(second["body"])["path"] == "/next"  # the connection went on
    environ = seen.environs[0]
    assert environ["HTTP_HOST"] == "x"
    assert "HTTP_X_TRAILER" not in environ and "HTTP_AUTHORIZATION" not in environ


@pytest.mark.parametrize(
    ("framing", "body"),
    [(b"Content-Length: 4", b"body"), (b"Transfer-Encoding: chunked", b"4\r\nbody\r\n0\r\n\r\n")],
)
def test_100_continue_is_sent_before_the_body_is_read(
    http_hub: Any, framing: bytes, body: bytes
) -> None:
    port, _ = http_hub
    with connect(port) as conn:
        conn.sendall(
            b"POST /big HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\nExpect: 100-continue\r\n\r\n"
        )
        buffer = bytearray()
        interim = read_response(conn, buffer)
        assert interim["status"] == 100
        conn.sendall(body)
        assert json.loads(read_response(conn, buffer)["body"])["body"] == "body"


def test_100_continue_comes_after_the_answers_to_the_requests_before_it(http_hub: Any) -> None:
    port, _ = http_hub
    with connect(port) as conn:
        conn.sendall(  # in one packet: the first request's answer must come first
            b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        buffer = bytearray()
        first = read_response(conn, buffer)
        assert first["status"] == 200 and json.loads(first["body"])["path"] == "/first"
        assert read_response(conn, buffer)["status"] == 100
        conn.sendall(b"body")
        assert json.loads(read_response(conn, buffer)["body"]) == {
            "path": "/second",
            "body": "body",
        }


def test_head_and_204_answers_have_no_body(http_hub: Any) -> None:
    port, _ = http_hub
    with connect(port) as conn:
        conn.sendall(
            b"HEAD /a HTTP/1.1\r\nHost: x\r\n\r\nGET /no-content HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        conn.settimeout(5)
        data = b""
        while data.count(b"\r\n\r\n") < 2:
            data += conn.recv(65536)
    head, no_content = data.split(b"\r\n\r\n")[:2]
    assert head.startswith(b"HTTP/1.1 200") and b"Content-Length: " in head
    assert no_content.startswith(b"HTTP/1.1 204") and b"Content-Length" not in no_content
    assert data.endswith(b"\r\n\r\n")  # nothing after either head


def test_a_large_answer_without_a_length_is_streamed_chunked(http_hub: Any) -> None:
    port, _ = http_hub
    response = exchange(port, b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response["headers"]["transfer-encoding"] == "chunked"
    assert response["body"] == b"".join(bytes([65 + i]) * 100_000 for i in range(4))


def test_to_an_http_10_client_a_streamed_answer_ends_with_the_connection(http_hub: Any) -> None:
    port, _ = http_hub
    response = exchange(port, b"GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert "transfer-encoding" not in response["headers"]
    assert response["headers"]["connection"] == "close"
    assert len(response["body"]) == 400_000


def test_an_application_may_start_its_answer_when_first_iterated(http_hub: Any) -> None:
    port, _ = http_hub
    response = exchange(port, b"GET /late-start HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response["status"] == 200 and response["body"] == b"late"
