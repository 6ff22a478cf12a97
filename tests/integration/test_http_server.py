"""The services' HTTP server (shared.httpserver) over real sockets: what a WSGI application sees
is what eventlet's server gave it, and what a client sends is bounded and answered by the rules of
HTTP/1.1 (keep-alive, pipelining, chunked bodies, 100-continue, HEAD, errors)."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import eventlet
import eventlet.wsgi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import httpserver
from shared.httpserver import HttpServer

LOG = logging.getLogger("tests.http_server")
MAX_BODY = 1024
# environ keys a WSGI application reads; both servers must give them the same values
COMPARED = (
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "RAW_PATH_INFO",
    "QUERY_STRING",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "SERVER_NAME",
    "REMOTE_ADDR",
    "GATEWAY_INTERFACE",
    "wsgi.url_scheme",
)


class Seen:
    def __init__(self) -> None:
        self.environs: list[dict[str, Any]] = []
        self.bodies: list[bytes] = []


def recording_app(seen: Seen) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        body = environ["wsgi.input"].read()
        seen.bodies.append(body)
        seen.environs.append({k: v for k, v in environ.items() if isinstance(v, str)})
        path = environ["PATH_INFO"]
        if path == "/fail":
            raise RuntimeError("the application failed")
        if path == "/inject":
            start_response("200 OK", [("X-Bad", "a\r\nSet-Cookie: stolen=1")])
            return [b"no"]
        if path == "/no-content":
            start_response("204 No Content", [])
            return []
        if path == "/close":
            start_response("200 OK", [("Content-Length", "3"), ("Connection", "close")])
            return [b"bye"]
        if path == "/stream":  # no length, larger than what is sent whole
            start_response("200 OK", [("Content-Type", "text/plain")])
            return (bytes([65 + i]) * 100_000 for i in range(4))
        if path == "/late-start":  # a generator that calls start_response when first run

            def late() -> Iterator[bytes]:
                start_response("200 OK", [("Content-Type", "text/plain")])
                yield b"late"

            return late()
        answer = json.dumps({"path": path, "body": body.decode("latin-1")}).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))]
        )
        return [answer]

    return app


def serve(app: Callable[..., Any], server: str = "hub") -> tuple[int, Any]:
    sock = eventlet.listen(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    if server == "eventlet":
        thread = eventlet.spawn(eventlet.wsgi.server, sock, app, log=LOG, log_output=False)
        return port, (thread, sock)
    hub = HttpServer(sock, app, LOG, max_body=MAX_BODY, log_format="%(request_line)s")

    def accept() -> None:
        while True:
            conn, address = sock.accept()
            eventlet.spawn(hub.process_request, [address, conn, None])

    return port, (eventlet.spawn(accept), sock)


@pytest.fixture
def hub() -> Iterator[tuple[int, Seen]]:
    seen = Seen()
    port, (thread, sock) = serve(recording_app(seen))
    try:
        yield port, seen
    finally:
        thread.kill()
        sock.close()


def connect(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    return conn


def read_response(conn: socket.socket, buffer: bytearray | None = None) -> dict[str, Any]:
    """One HTTP/1.1 response: status, headers (lower-case names), body; left-over bytes stay in
    ``buffer`` for the next response on the connection."""
    data = buffer if buffer is not None else bytearray()
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a whole head: {bytes(data)!r}")
        data += chunk
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    del data[:]
    data += rest
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(status_line.split()[1])
    body = b""
    if "content-length" in headers:
        length = int(headers["content-length"])
        while len(data) < length:
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("closed in the body")
            data += chunk
        body = bytes(data[:length])
        del data[:length]
    elif headers.get("transfer-encoding") == "chunked":
        body = _read_chunked(conn, data)
    elif status not in (100, 204, 304) and headers.get("connection") == "close":
        while chunk := conn.recv(65536):
            data += chunk
        body = bytes(data)
        del data[:]
    return {"status": status, "line": status_line, "headers": headers, "body": body}


def _read_chunked(conn: socket.socket, data: bytearray) -> bytes:
    body = bytearray()
    while True:
        while b"\r\n" not in data:
            data += conn.recv(65536)
        size_line, _, rest = bytes(data).partition(b"\r\n")
        size = int(size_line, 16)
        del data[:]
        data += rest
        while len(data) < size + 2:
            data += conn.recv(65536)
        body += data[:size]
        del data[: size + 2]
        if size == 0:
            return bytes(body)


def closed(conn: socket.socket) -> bool:
    conn.settimeout(5)
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True


def exchange(port: int, raw: bytes) -> dict[str, Any]:
    with connect(port) as conn:
        conn.sendall(raw)
        return read_response(conn)


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


def test_repeated_headers_are_joined_and_the_path_is_decoded(hub: Any) -> None:
    port, seen = hub
    exchange(port, REQUESTS[1])
    environ = seen.environs[0]
    assert environ["HTTP_ACCEPT"] == "a,b"
    assert environ["PATH_INFO"] == "/café/a/b".encode().decode("latin-1")
    assert environ["RAW_PATH_INFO"] == "/caf%C3%A9/a%2Fb"


# --- connections -------------------------------------------------------------------------------


def test_a_kept_alive_connection_serves_requests_in_turn_and_pipelined(hub: Any) -> None:
    port, seen = hub
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


def test_a_request_split_into_many_pieces_is_put_together(hub: Any) -> None:
    port, seen = hub
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
    hub: Any, raw: bytes, kept: bool
) -> None:
    port, _ = hub
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


def test_the_connection_header_is_sent_once(hub: Any) -> None:
    port, _ = hub
    with connect(port) as conn:
        conn.sendall(b"GET /close HTTP/1.1\r\nHost: x\r\n\r\n")  # the application says close too
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    assert data.lower().count(b"\r\nconnection:") == 1


def test_a_chunked_body_reaches_the_application_decoded_with_its_length(hub: Any) -> None:
    port, seen = hub
    raw = (
        b"POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"
    )
    response = exchange(port, raw)
    assert json.loads(response["body"])["body"] == "Wikipedia"
    assert seen.environs[0]["CONTENT_LENGTH"] == "9"
    assert "HTTP_TRANSFER_ENCODING" not in seen.environs[0]


@pytest.mark.parametrize(
    ("framing", "body"),
    [(b"Content-Length: 4", b"body"), (b"Transfer-Encoding: chunked", b"4\r\nbody\r\n0\r\n\r\n")],
)
def test_100_continue_is_sent_before_the_body_is_read(
    hub: Any, framing: bytes, body: bytes
) -> None:
    port, _ = hub
    with connect(port) as conn:
        conn.sendall(
            b"POST /big HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\nExpect: 100-continue\r\n\r\n"
        )
        buffer = bytearray()
        interim = read_response(conn, buffer)
        assert interim["status"] == 100
        conn.sendall(body)
        assert json.loads(read_response(conn, buffer)["body"])["body"] == "body"


def test_head_and_204_answers_have_no_body(hub: Any) -> None:
    port, _ = hub
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


def test_a_large_answer_without_a_length_is_streamed_chunked(hub: Any) -> None:
    port, _ = hub
    response = exchange(port, b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response["headers"]["transfer-encoding"] == "chunked"
    assert response["body"] == b"".join(bytes([65 + i]) * 100_000 for i in range(4))


def test_to_an_http_10_client_a_streamed_answer_ends_with_the_connection(hub: Any) -> None:
    port, _ = hub
    response = exchange(port, b"GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert "transfer-encoding" not in response["headers"]
    assert response["headers"]["connection"] == "close"
    assert len(response["body"]) == 400_000


def test_an_application_may_start_its_answer_when_first_iterated(hub: Any) -> None:
    port, _ = hub
    response = exchange(port, b"GET /late-start HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response["status"] == 200 and response["body"] == b"late"


# --- refusals ----------------------------------------------------------------------------------


def _refused(port: int, raw: bytes) -> dict[str, Any]:
    with connect(port) as conn:
        conn.sendall(raw)
        response = read_response(conn)
        assert response["headers"]["connection"] == "close"
        assert closed(conn)
    assert response["headers"]["content-type"] == "application/json"
    return response


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
    ],
)
def test_bad_requests_get_a_json_error_and_the_connection_ends(
    hub: Any, raw: bytes, status: int, code: str
) -> None:
    port, seen = hub
    response = _refused(port, raw)
    assert response["status"] == status
    assert json.loads(response["body"])["error"] == code
    assert not seen.environs  # the application never saw it


def test_a_body_too_large_is_refused_before_it_is_sent(hub: Any) -> None:
    port, _ = hub
    with connect(port) as conn:
        conn.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        response = read_response(conn)
    assert response["status"] == 413  # not 100 Continue: the client need not send it


def test_a_failing_application_is_logged_and_answered_500(
    hub: Any, caplog: pytest.LogCaptureFixture
) -> None:
    port, _ = hub
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        response = _refused(port, b"GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response["status"] == 500
    assert json.loads(response["body"]) == {
        "error": "internal_error",
        "message": "something went wrong on our side",
    }
    assert b"Traceback" not in response["body"]
    assert any(r.exc_info and "GET /fail" in r.getMessage() for r in caplog.records)


def test_a_header_with_a_line_break_is_never_sent(hub: Any) -> None:
    port, _ = hub
    response = _refused(port, b"GET /inject HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response["status"] == 500 and "set-cookie" not in response["headers"]


def test_a_client_too_slow_with_its_headers_is_disconnected(
    hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(httpserver, "HEADERS_TIMEOUT", 0.5)
    port, seen = hub
    with connect(port) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\n")
        for _ in range(3):  # trickling bytes does not extend the deadline
            eventlet.sleep(0.2)
            conn.sendall(b"X: 1\r\n")
        response = read_response(conn)
        assert response["status"] == 408
        assert closed(conn)
    assert not seen.environs


def test_an_idle_kept_alive_connection_is_closed(hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httpserver, "IDLE_TIMEOUT", 0.3)
    port, _ = hub
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
def test_any_bytes_get_an_answer_or_the_end_of_the_connection(hub: Any, raw: bytes) -> None:
    port, _ = hub
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


def test_a_refused_client_still_sending_its_body_reads_the_refusal(hub: Any) -> None:
    port, _ = hub
    with connect(port) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
        conn.sendall(b"a" * 200_000)  # more than the server reads before it refuses
        eventlet.sleep(0.3)  # the refusal has come back and the server has closed its side
        conn.sendall(b"a" * 1000)  # more of the body: a socket closed unread would reset
        eventlet.sleep(0.1)
        response = read_response(conn)  # not a reset: the server drained before closing
    assert response["status"] == 413
