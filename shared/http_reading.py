"""Reading HTTP/1.1 requests off a connection for :mod:`shared.httpserver`: httptools (llhttp)
parses, and what a client may make the server hold is bounded (request line, header section,
header count, body, time to send the headers). A request that breaks a bound is a
:class:`ClientError`, which the server answers in JSON before closing the connection.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import httptools

MAX_URL_BYTES = 8192  # eventlet's and most servers' limit on the request line
MAX_HEAD_BYTES = 64 * 1024  # request line and header section
MAX_HEADERS = 100
HEADERS_TIMEOUT = 30.0  # to send a request's headers once its first byte came
READ_SIZE = 64 * 1024

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class ClientError(Exception):
    """The request cannot be served: answered with ``status`` and the connection closed."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Message:
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


class RequestReader:
    """The parser's callbacks: completed requests are queued in ``done``."""

    def __init__(self, max_body: int, sock: Any) -> None:
        self.max_body = max_body
        self.sock = sock
        self.parser = httptools.HttpRequestParser(self)
        self.current: Message | None = None
        self.head_bytes = 0  # bytes fed while the current message's headers are incomplete
        self.in_head = False
        self.head_deadline = 0.0  # monotonic time by which the current headers must be in
        self.upgraded = False  # the parser stopped at an Upgrade: serve what came, then close
        self.done: deque[Message] = deque()

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
        self.current = Message()
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
