"""The wire for the HTTP server's tests: a recording WSGI application served by
shared.runtime.httpserver (or eventlet's server, to compare), raw-socket clients, and an HTTP/1.1
response reader."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import eventlet
import eventlet.wsgi

from shared.runtime.httpserver import HttpServer

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
