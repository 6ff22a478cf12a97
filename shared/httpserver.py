"""The services' HTTP/1.1 server: WSGI on eventlet's green sockets, requests parsed by httptools.

nameko's web server runs eventlet's WSGI server, whose request parsing is pure Python
(``http.server``'s request line and header reading, an ``Input`` object per request, a response
written line by line): on a trivial request it was about a third of the server CPU the hub's
``@http`` costs (``python -m bench.http_floor``: 156 against 107 us, the same hour). Here the
request is parsed by httptools (llhttp, Node.js's parser, as uvicorn uses it) and a small answer
is written with one send.

What a WSGI application sees is what eventlet gave it (the same environ keys and values, headers
with an underscore in their name dropped, repeated headers joined with a comma), with two
corrections: ``SERVER_PROTOCOL`` is the client's version (eventlet always said HTTP/1.0), and no
``CONTENT_TYPE`` is made up when the client sent none (eventlet said text/plain). The body is
read whole before the application runs (bounded by ``max_body``); a chunked one is given decoded,
with its ``CONTENT_LENGTH``.

Beyond eventlet's defaults, the server bounds what a client may make it hold: the request line
(8 KiB) and header section (64 KiB), the number of headers, the body (refused with a JSON 413
before it is read, as the hub's own check would), the time to send the headers of a request (a
slow-loris client is disconnected), and the idle time of a kept-alive connection. Errors the
client caused are answered with a JSON error and the connection closed; a failing application is
logged with its traceback and answered with a plain JSON 500.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import socket
import sys
import time
from collections import deque
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote

import httptools

MAX_URL_BYTES = 8192  # eventlet's and most servers' limit on the request line
MAX_HEAD_BYTES = 64 * 1024  # request line and header section
MAX_HEADERS = 100
HEADERS_TIMEOUT = 30.0  # to send a request's headers once its first byte came
IDLE_TIMEOUT = 120.0  # between requests on a kept-alive connection (above proxies' 60-75 s)
BODY_TIMEOUT = 60.0  # between two reads of a request's body
READ_SIZE = 64 * 1024
LINGER_SECONDS = 2.0  # after a refusal, what the client still sends is read and dropped ...
LINGER_BYTES = 1024 * 1024  # ... for this long, up to this much
STREAM_ABOVE = 256 * 1024  # answers up to this size are sent whole, with one send

_BODYLESS_STATUS = (204, 304)
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
}


class _Disconnected(Exception):
    """The client went away while its answer was sent."""


def _send(sock: Any, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError as exc:  # reset, broken pipe, timed out
        raise _Disconnected() from exc


class ClientError(Exception):
    """The request cannot be served: answered with ``status`` and the connection closed."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class _Message:
    """One request as the parser gives it."""

    __slots__ = (
        "url",
        "headers",
        "head_size",
        "body",
        "body_size",
        "method",
        "version",
        "keep_alive",
    )

    def __init__(self) -> None:
        self.url = b""
        self.head_size = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.body_size = 0
        self.method = b""
        self.version = "1.1"
        self.keep_alive = True


class _Reader:
    """The parser's callbacks: completed requests are queued in ``done``."""

    def __init__(self, max_body: int, sock: Any) -> None:
        self.max_body = max_body
        self.sock = sock
        self.parser = httptools.HttpRequestParser(self)
        self.current: _Message | None = None
        self.head_bytes = 0  # bytes fed while the current message's headers are incomplete
        self.in_head = False
        self.head_deadline = 0.0  # monotonic time by which the current headers must be in
        self.upgraded = False  # the parser stopped at an Upgrade: serve what came, then close
        self.done: deque[_Message] = deque()

    def feed(self, data: bytes) -> None:
        # httptools keeps a header's name and value until they are whole: bytes fed while the
        # headers are incomplete are bounded too, not only the headers the callbacks see.
        if self.in_head or self.current is None:
            self.head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            if isinstance(cause, ClientError):
                raise cause from None
            raise
        except httptools.HttpParserUpgrade:
            self.upgraded = True  # no upgrades here: the request is served, then the end
        if self.in_head and self.head_bytes > MAX_HEAD_BYTES + READ_SIZE:
            raise ClientError(431, "headers_too_large", "the request's headers are too large")

    @property
    def busy(self) -> bool:
        """A request has begun and is not complete."""
        return self.current is not None

    # -- httptools callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.current = _Message()
        self.in_head = True
        self.head_deadline = time.monotonic() + HEADERS_TIMEOUT

    def on_url(self, url: bytes) -> None:
        message = self.current
        assert message is not None
        message.url += url
        message.head_size += len(url)
        if len(message.url) > MAX_URL_BYTES:
            raise ClientError(414, "uri_too_long", "the request's URL is too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        message = self.current
        assert message is not None
        message.headers.append((name, value))
        message.head_size += len(name) + len(value) + 4
        if len(message.headers) > MAX_HEADERS or message.head_size > MAX_HEAD_BYTES:
            raise ClientError(431, "headers_too_large", "the request's headers are too large")

    def on_headers_complete(self) -> None:
        message = self.current
        assert message is not None
        parser = self.parser
        self.in_head = False
        self.head_bytes = 0
        message.method = parser.get_method()
        message.version = parser.get_http_version()
        message.keep_alive = parser.should_keep_alive()
        length = _content_length(message.headers)
        if length is not None and length > self.max_body:
            raise ClientError(
                413, "body_too_large", f"the body must be at most {self.max_body} bytes"
            )
        has_body = bool(length) or (length is None and _chunked(message.headers))
        if has_body and _expects_continue(message.headers) and message.version == "1.1":
            self.sock.sendall(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        message = self.current
        assert message is not None
        message.body_size += len(body)
        if message.body_size > self.max_body:  # a chunked body, whose size was not announced
            raise ClientError(
                413, "body_too_large", f"the body must be at most {self.max_body} bytes"
            )
        message.body.append(body)

    def on_message_complete(self) -> None:
        assert self.current is not None
        self.done.append(self.current)
        self.current = None
        self.head_bytes = 0


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if len(name) == 14 and name.lower() == b"content-length":
            return int(value)  # llhttp has checked it is a number, and the only one
    return None


def _chunked(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"transfer-encoding" for name, _ in headers)


def _expects_continue(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == b"expect" and value.strip().lower() == b"100-continue"
        for name, value in headers
    )


class _Clock:
    """The Date header's value, made once a second."""

    second = -1
    value = ""

    def date(self) -> str:
        now = int(time.time())
        if now != self.second:
            self.value = formatdate(now, usegmt=True)
            self.second = now
        return self.value


class HttpServer:
    """Serves a WSGI application on the connections nameko's web server accepts.

    nameko's ``WebServer.run`` accepts, sets ``socket_timeout`` on the connection and calls
    :meth:`process_request` in a thread of its own with ``(address, socket, state)``.
    """

    socket_timeout = None  # the server sets each read's timeout itself

    def __init__(
        self,
        sock: Any,
        app: Any,
        log: logging.Logger,
        max_body: int,
        log_format: str,
        log_output: Any = True,
    ) -> None:
        self.app = app
        self.log = log
        self.max_body = max_body
        self.log_format = log_format
        self.log_output = log_output
        self.clock = _Clock()
        self.url_scheme = "https" if hasattr(sock, "do_handshake") else "http"

    def process_request(self, conn_state: Any) -> None:
        address, sock = conn_state[0], conn_state[1]
        try:
            self.serve(sock, address)
        finally:
            sock.close()

    def serve(self, sock: Any, address: Any) -> None:
        reader = _Reader(self.max_body, sock)
        base = self._connection_environ(sock, address)
        recv = sock.recv
        refusal: ClientError | None = None
        try:
            while True:
                if reader.done:  # requests already whole are served before any refusal
                    if not self._respond(sock, base, reader.done.popleft()):
                        return
                    continue
                if refusal is not None:
                    self._refuse(sock, refusal)
                    return
                if reader.upgraded:
                    return
                if not reader.busy:
                    sock.settimeout(IDLE_TIMEOUT)
                elif reader.in_head:
                    sock.settimeout(max(0.001, reader.head_deadline - time.monotonic()))
                else:
                    sock.settimeout(BODY_TIMEOUT)
                try:
                    data = recv(READ_SIZE)
                except TimeoutError:
                    if reader.busy:
                        self._refuse(sock, ClientError(408, "timeout", "the request took too long"))
                    return
                if not data:
                    return
                try:
                    reader.feed(data)
                except ClientError as exc:
                    refusal = exc
                except httptools.HttpParserError:
                    refusal = ClientError(400, "bad_request", "the request is not valid HTTP")
        except (_Disconnected, ConnectionError, TimeoutError):
            return

    def _connection_environ(self, sock: Any, address: Any) -> dict[str, Any]:
        try:
            server_name, server_port = sock.getsockname()[:2]
        except (OSError, ValueError):
            server_name, server_port = "", 0
        remote = address if isinstance(address, tuple) else ("", 0)
        return {
            "SCRIPT_NAME": "",
            "SERVER_NAME": str(server_name),
            "SERVER_PORT": str(server_port),
            "REMOTE_ADDR": str(remote[0]),
            "REMOTE_PORT": str(remote[1]) if len(remote) > 1 else "",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.url_scheme,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }

    def _environ(self, base: dict[str, Any], message: _Message) -> dict[str, Any]:
        env = base.copy()
        method = message.method.decode("latin-1")
        env["REQUEST_METHOD"] = method
        target = message.url.decode("latin-1")
        path, sep, query = target.partition("?")
        env["RAW_PATH_INFO"] = path
        env["PATH_INFO"] = unquote(path, encoding="latin-1") if "%" in path else path
        if sep:
            env["QUERY_STRING"] = query
        protocol = "HTTP/" + message.version
        env["SERVER_PROTOCOL"] = protocol
        env["hub.request_line"] = f"{method} {target} {protocol}"
        chunked = False
        for raw_name, raw_value in message.headers:
            name = raw_name.decode("latin-1").upper()
            value = raw_value.decode("latin-1").strip(" \t")
            if "_" in name:
                continue  # as eventlet: X_Forwarded_For must not pass for X-Forwarded-For
            key = name.replace("-", "_")
            if key == "TRANSFER_ENCODING":
                chunked = True  # llhttp accepts no other transfer coding of a request
                continue
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            if key in env:
                env[key] += "," + value
            else:
                env[key] = value
        body = b"".join(message.body) if message.body else b""
        if chunked:  # the body is given to the application decoded, with its length
            env["CONTENT_LENGTH"] = str(len(body))
        env["wsgi.input"] = io.BytesIO(body)
        return env

    def _respond(self, sock: Any, base: dict[str, Any], message: _Message) -> bool:
        """Serve one request; whether the connection may serve another."""
        started = time.monotonic()
        env = self._environ(base, message)
        head_only = message.method == b"HEAD"
        state: list[Any] = []  # status, headers

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            if exc_info and state and state[-1] is True:  # already sent: the WSGI rule
                raise exc_info[1].with_traceback(exc_info[2])
            state[:] = [status, headers]
            return written.append

        written: list[bytes] = []
        result: Any = None
        try:
            try:
                result = self.app(env, start_response)
                sent, keep_alive = self._send(sock, state, written, result, head_only, message)
            except _Disconnected:
                return False
            except Exception:  # noqa: BLE001 - the application failed: answer 500, log the trace
                self.log.exception("error serving %s", env["hub.request_line"])
                if state and state[-1] is True:
                    return False  # the answer had begun: only closing tells the client
                error = ClientError(500, "internal_error", "something went wrong on our side")
                self._refuse(sock, error)
                return False
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if self.log_output:
            self.log.info(
                self.log_format
                % {
                    "request_line": env["hub.request_line"],
                    "status_code": int(str(state[0]).split(" ", 1)[0]),
                    "body_length": sent,
                    "wall_seconds": time.monotonic() - started,
                }
            )
        return keep_alive

    def _head(self, state: list[Any], extra: str, version: str, keep_alive: bool) -> bytes:
        """The status line and headers; ``state`` is marked as sent."""
        status, headers = state[0], state[1]
        lines = [f"HTTP/1.1 {status}\r\n"]
        has_date = False
        for name, value in headers:
            lowered = name.lower()
            if lowered == "date":
                has_date = True
            elif lowered == "connection":
                continue  # said below, once, from what the server does with the connection
            lines.append(f"{name}: {value}\r\n")
        if not has_date:
            lines.append(f"Date: {self.clock.date()}\r\n")
        if extra:
            lines.append(extra)
        if not keep_alive:
            lines.append("Connection: close\r\n")
        elif version == "1.0":
            lines.append("Connection: keep-alive\r\n")
        text = "".join(lines)
        # Header injection: every line must be one of ours (a name or value with CR or LF
        # would add lines). werkzeug refuses them too; checked here for any application.
        if text.count("\n") != len(lines) or text.count("\r") != len(lines):
            raise ValueError("a response header holds a line break")
        state.append(True)  # the answer has begun
        return text.encode("latin-1") + b"\r\n"

    def _send(
        self,
        sock: Any,
        state: list[Any],
        written: list[bytes],
        result: Any,
        head_only: bool,
        message: _Message,
    ) -> tuple[int, bool]:
        """Send the answer: in one piece when it is small (most are), else as it comes; the
        body's length and whether the connection stays open."""
        pending = list(written)
        size = sum(map(len, pending))
        iterator = iter(result)
        streaming = False
        for data in iterator:
            if data:
                pending.append(data)
                size += len(data)
                if size > STREAM_ABOVE:
                    streaming = True
                    break
        if not state:  # WSGI lets an application call it as late as its first piece
            raise RuntimeError("the application answered without start_response")
        # llhttp's keep-alive: HTTP/1.1 unless "Connection: close", HTTP/1.0 only when asked
        keep_alive = message.keep_alive and not any(
            name.lower() == "connection" and value.strip().lower() == "close"
            for name, value in state[1]
        )
        status_code = int(str(state[0])[:3])
        bodyless = head_only or status_code in _BODYLESS_STATUS or status_code < 200
        length_known = _has_header(state[1], "content-length")
        if not streaming:  # the whole answer is here: one send
            extra = "" if bodyless or length_known else f"Content-Length: {size}\r\n"
            head = self._head(state, extra, message.version, keep_alive)
            body = b"" if bodyless else b"".join(pending)
            _send(sock, head + body if body else head)
            return len(body), keep_alive
        chunked = not bodyless and not length_known and message.version == "1.1"
        if not bodyless and not length_known and not chunked:
            keep_alive = False  # an HTTP/1.0 client reads the body to the end of the connection
        extra = "Transfer-Encoding: chunked\r\n" if chunked else ""
        _send(sock, self._head(state, extra, message.version, keep_alive))
        sent = 0
        for data in itertools.chain(pending, iterator):
            if not data or bodyless:
                continue
            sent += len(data)
            _send(sock, b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
        if chunked:
            _send(sock, b"0\r\n\r\n")
        return sent, keep_alive

    def _refuse(self, sock: Any, error: ClientError) -> None:
        """Answer an error in JSON and end the connection (the caller closes it)."""
        body = json.dumps({"error": error.code, "message": error.message}).encode()
        head = (
            f"HTTP/1.1 {error.status} {_REASONS.get(error.status, 'Error')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Date: {self.clock.date()}\r\nConnection: close\r\n\r\n"
        )
        if self.log_output:
            self.log.info("refused a request: %s %s", error.status, error.code)
        try:
            sock.settimeout(LINGER_SECONDS)
            sock.sendall(head.encode() + body)
            # Lingering close: what the client is still sending (a body too large, say) is read
            # and dropped for a moment, so that closing does not reset the connection before
            # the client has read why (RFC 9112 9.6).
            sock.shutdown(socket.SHUT_WR)
            drained, until = 0, time.monotonic() + LINGER_SECONDS
            while drained < LINGER_BYTES and time.monotonic() < until:
                data = sock.recv(READ_SIZE)
                if not data:
                    break
                drained += len(data)
        except OSError:
            pass


def _has_header(headers: list[tuple[str, str]], lowered: str) -> bool:
    return any(name.lower() == lowered for name, _ in headers)
