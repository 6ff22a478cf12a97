"""The services' HTTP/1.1 server: WSGI on eventlet's green sockets, requests parsed by httptools.

nameko's web server runs eventlet's WSGI server, whose request parsing is pure Python
(``http.server``'s request line and header reading, an ``Input`` object per request, a response
written line by line): a large part of the server CPU of a small answer (README, "The runtime").
Here the request is parsed by httptools (llhttp, Node.js's parser, as uvicorn uses it) and a small
answer is written with one send.

What a WSGI application sees (:mod:`shared.runtime.environ`) is what eventlet gave it (the same
environ keys and values, headers with an underscore in their name dropped, repeated headers joined
with a comma), with two corrections: ``SERVER_PROTOCOL`` is the client's version (eventlet always
said HTTP/1.0), and no ``CONTENT_TYPE`` is made up when the client sent none (eventlet said
text/plain). The body is read whole before the application runs (bounded by ``max_body``); a
chunked one is given decoded, with its ``CONTENT_LENGTH``.

Beyond eventlet's defaults, the server bounds what a client may make it hold (the reading side is
:mod:`shared.runtime.http_reading`): the request line (8 KiB) and header section (64 KiB), the
number of headers and trailer fields, the body (refused with a JSON 413 before it is read, as the
hub's own check would), the time to send the headers of a request (a slow-loris client is
disconnected) and then its body (in all, from the end of its headers, besides the time between two
reads), the idle time of a kept-alive connection, and the number of connections
(:mod:`shared.runtime.connections`, which accepts them). Errors the client caused are answered with
a JSON error and the connection closed; a failing application is logged with its traceback and
answered with a plain JSON 500; any other error ends its connection only. A ``100 Continue`` goes
out when its request is the next to be served, after the answers to those pipelined before it.
Access lines never show a secret path segment (``shared.logs.SECRET_PATH_PREFIXES``).
"""

from __future__ import annotations

import itertools
import json
import logging
import socket
import time
from email.utils import formatdate
from typing import Any

import httptools

from shared.config import DEFAULT_MAX_CONNECTIONS
from shared.runtime.connections import Connections
from shared.runtime.environ import connection_environ, request_environ, request_line
from shared.runtime.http_reading import CONTINUE, READ_SIZE, ClientError, Message, RequestReader

IDLE_TIMEOUT = 120.0  # between requests on a kept-alive connection (above proxies' 60-75 s)
LINGER_SECONDS = 2.0  # after a refusal, what the client still sends is read and dropped ...
LINGER_BYTES = 1024 * 1024  # ... for this long, up to this much
STREAM_ABOVE = 256 * 1024  # answers up to this size are sent whole, with one send

_BODYLESS_STATUS = (204, 304)
_REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}
_BUSY = ClientError(503, "unavailable", "the server has no room for another connection; try again")


class _Disconnected(Exception):
    """The client went away while its answer was sent."""


def _sendall(sock: Any, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError as exc:  # reset, broken pipe, timed out
        raise _Disconnected() from exc


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

    The web server's accept loop (:func:`shared.runtime.connections.accept_connections`, in place
    of nameko's ``WebServer.run``) accepts, sets ``socket_timeout`` on the connection and calls
    :meth:`process_request` in a thread of its own with ``(address, socket, state)``; the two
    share ``connections``, the open ones and those idle.
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
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self.app = app
        self.log = log
        self.max_body = max_body
        self.log_format = log_format
        self.log_output = log_output
        self.clock = _Clock()
        self.url_scheme = "https" if hasattr(sock, "do_handshake") else "http"
        self.connections = Connections(max_connections)

    def process_request(self, conn_state: Any) -> None:
        address, sock = conn_state[0], conn_state[1]
        try:
            self.serve(sock, address)
        except OSError as exc:  # not a reset nor a timeout: ENOTCONN, EHOSTUNREACH, EBADF...
            # It ends this connection only: raised into nameko, it would kill the container.
            self.log.debug("a connection ended on a socket error: %s", exc.strerror or exc)
        except Exception:  # noqa: BLE001 - a bug of ours: one connection ends, not the server
            self.log.warning("a connection ended on an unexpected error", exc_info=True)
        finally:
            self.connections.forget(sock)
            sock.close()

    def refuse_busy(self, sock: Any, linger: float) -> None:
        """Answer a connection there is no room for (:mod:`shared.runtime.connections`) with a JSON
        503, and close it."""
        try:
            self._refuse(sock, _BUSY, "Retry-After: 2\r\n", linger, logged=False)
        finally:
            sock.close()

    def serve(self, sock: Any, address: Any) -> None:
        reader = RequestReader(self.max_body)
        base = connection_environ(sock, address, self.url_scheme)
        recv = sock.recv
        idle = self.connections.idle
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
                    # Idle: the accept loop may close it to make room (shared.runtime.connections).
                    sock.settimeout(IDLE_TIMEOUT)
                    idle[sock] = True
                    try:
                        data = recv(READ_SIZE)
                    except TimeoutError:
                        return
                    if not idle.pop(sock, False):
                        return  # closed to make room: what came meanwhile is not served
                else:
                    if reader.expecting is not None and reader.take_continue():
                        _sendall(sock, CONTINUE)  # the requests before it are answered
                    try:
                        left = reader.time_left()
                        if left <= 0:
                            raise TimeoutError()
                        sock.settimeout(left)
                        data = recv(READ_SIZE)
                    except TimeoutError:
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

    def _respond(self, sock: Any, base: dict[str, Any], message: Message) -> bool:
        """Serve one request; whether the connection may serve another."""
        started = time.monotonic()
        env = request_environ(base, message)
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
                sent, keep_alive = self._answer(sock, state, written, result, head_only, message)
            except _Disconnected:
                return False
            except Exception:  # noqa: BLE001 - the application failed: answer 500, log the trace
                self.log.exception("error serving %s", request_line(env))
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
                    "request_line": request_line(env),
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

    def _answer(
        self,
        sock: Any,
        state: list[Any],
        written: list[bytes],
        result: Any,
        head_only: bool,
        message: Message,
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
        closes, length_known = _framing(state[1])
        # llhttp's keep-alive: HTTP/1.1 unless "Connection: close", HTTP/1.0 only when asked
        keep_alive = message.keep_alive and not closes
        status_code = int(str(state[0])[:3])
        bodyless = head_only or status_code in _BODYLESS_STATUS or status_code < 200
        if not streaming:  # the whole answer is here: one send
            extra = "" if bodyless or length_known else f"Content-Length: {size}\r\n"
            head = self._head(state, extra, message.version, keep_alive)
            body = b"" if bodyless else b"".join(pending)
            _sendall(sock, head + body if body else head)
            return len(body), keep_alive
        chunked = not bodyless and not length_known and message.version == "1.1"
        if not bodyless and not length_known and not chunked:
            keep_alive = False  # an HTTP/1.0 client reads the body to the end of the connection
        extra = "Transfer-Encoding: chunked\r\n" if chunked else ""
        _sendall(sock, self._head(state, extra, message.version, keep_alive))
        sent = 0
        for data in itertools.chain(pending, iterator):
            if not data or bodyless:
                continue
            sent += len(data)
            _sendall(sock, b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
        if chunked:
            _sendall(sock, b"0\r\n\r\n")
        return sent, keep_alive

    def _refuse(
        self,
        sock: Any,
        error: ClientError,
        extra: str = "",
        linger: float = LINGER_SECONDS,
        logged: bool = True,
    ) -> None:
        """Answer an error in JSON and end the connection (the caller closes it)."""
        body = json.dumps({"error": error.code, "message": error.message}).encode()
        head = (
            f"HTTP/1.1 {error.status} {_REASONS.get(error.status, 'Error')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}"
            f"Date: {self.clock.date()}\r\nConnection: close\r\n\r\n"
        )
        if logged and self.log_output:
            self.log.info("refused a request: %s %s", error.status, error.code)
        try:
            sock.settimeout(linger)
            sock.sendall(head.encode() + body)
            # Lingering close: what the client is still sending (a body too large, say) is read
            # and dropped for a moment, so that closing does not reset the connection before
            # the client has read why (RFC 9112 9.6).
            sock.shutdown(socket.SHUT_WR)
            drained, until = 0, time.monotonic() + linger
            while drained < LINGER_BYTES and time.monotonic() < until:
                data = sock.recv(READ_SIZE)
                if not data:
                    break
                drained += len(data)
        except OSError:
            pass


def _framing(headers: list[tuple[str, str]]) -> tuple[bool, bool]:
    """Whether the application's answer says ``Connection: close``, and gives its length."""
    closes = length_known = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-length":
            length_known = True
        elif lowered == "connection" and value.strip().lower() == "close":
            closes = True
    return closes, length_known


class WhenLogged:
    """True while ``logger`` keeps records of ``level`` (asked each time: levels can change)."""

    __slots__ = ("logger", "level")

    def __init__(self, logger: logging.Logger, level: int) -> None:
        self.logger = logger
        self.level = level

    def __bool__(self) -> bool:
        return self.logger.isEnabledFor(self.level)
