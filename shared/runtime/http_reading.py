"""Reading HTTP/1.1 requests off a connection for :mod:`shared.runtime.httpserver`: httptools
(llhttp) parses, and what a client may make the server hold is bounded (request line, header
section, header count, trailer fields, body, time to send the headers and then the body). A request
that breaks a bound or frames itself ambiguously is a :class:`ClientError`, which the server answers
in JSON before closing the connection: versions other than HTTP/1.0 and 1.1 (505), an HTTP/1.1
request without Host or any with two (400), a transfer coding other than exactly ``chunked`` (501),
Transfer-Encoding in HTTP/1.0 (400, RFC 9112 6.1). Trailer fields are read and dropped, never merged
into the request's headers."""

from __future__ import annotations

import time
from collections import deque

import httptools

MAX_URL_BYTES = 8192  # eventlet's and most servers' limit on the request line
MAX_HEAD_BYTES = 64 * 1024  # request line and header section (trailer fields count in it too)
MAX_HEADERS = 100  # and as many trailer fields
HEADERS_TIMEOUT = 30.0  # to send a request's headers once its first byte came
BODY_DEADLINE = 30.0  # to send its body once the headers are in (or the 100 Continue went out)
BODY_TIMEOUT = 60.0  # between two reads of a body (BODY_DEADLINE, shorter, bounds it today)
READ_SIZE = 64 * 1024

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


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

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body
        self.parser = httptools.HttpRequestParser(self)
        self.current: Message | None = None
        self.head_bytes = 0  # bytes fed while the current message's headers are incomplete
        self.in_head = False
        self.head_deadline = 0.0  # monotonic time by which the current headers must be in
        self.body_deadline = 0.0  # ... and then its body
        self.expecting: Message | None = None  # waits for a 100 Continue (see take_continue)
        self.maybe_trailers = False  # a chunk's size line came, and no data yet: maybe the last
        self.trailers = 0
        self.upgraded = False  # the parser stopped at an Upgrade: serve what came, then close
        self.done: deque[Message] = deque()

    def feed(self, data: bytes) -> None:
        # httptools keeps a header's name and value until they are whole: bytes fed while the
        # headers (or trailer fields) are incomplete are bounded too, not only what the
        # callbacks see.
        if self.in_head or self.current is None or self.maybe_trailers:
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
        if (self.in_head or self.maybe_trailers) and self.head_bytes > MAX_HEAD_BYTES + READ_SIZE:
            raise ClientError(431, "headers_too_large", "the request's headers are too large")

    @property
    def busy(self) -> bool:
        """A request has begun and is not complete."""
        return self.current is not None

    def time_left(self) -> float:
        """Seconds left to the request begun to send its headers, or its body."""
        if self.in_head:
            return self.head_deadline - time.monotonic()
        return min(BODY_TIMEOUT, self.body_deadline - time.monotonic())

    def take_continue(self) -> bool:
        """Whether to send the current request its 100 Continue now. The server asks when that
        request is the next to be served, so that the 100 never comes before the answers to the
        requests pipelined ahead of it (which the client would take for the first's); the
        body's time starts then, when the client is told to send it."""
        if self.expecting is None or self.expecting is not self.current:
            return False
        self.expecting = None
        self.body_deadline = time.monotonic() + BODY_DEADLINE
        return True

    # -- httptools callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.current = Message()
        self.in_head = True
        self.trailers = 0
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
        message.head_size += len(name) + len(value) + 4
        if self.in_head:
            message.headers.append((name, value))
            count = len(message.headers)
        else:  # a trailer field, after a chunked body: bounded, and dropped
            self.trailers += 1
            count = self.trailers
        if count > MAX_HEADERS or message.head_size > MAX_HEAD_BYTES:
            raise ClientError(431, "headers_too_large", "the request's headers are too large")

    def on_headers_complete(self) -> None:
        message = self.current
        assert message is not None
        parser = self.parser
        self.in_head = False
        self.head_bytes = 0
        message.method = parser.get_method()
        message.version = version = parser.get_http_version()
        message.keep_alive = parser.should_keep_alive()
        if version != "1.1" and version != "1.0":  # llhttp lets 0.9 and 2.0 through
            raise ClientError(
                505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served"
            )
        length, chunked, expects = _check_fields(message.headers, version)
        if length is not None and length > self.max_body:
            raise ClientError(
                413, "body_too_large", f"the body must be at most {self.max_body} bytes"
            )
        self.body_deadline = time.monotonic() + BODY_DEADLINE
        if expects and version == "1.1" and (length or chunked):
            self.expecting = message

    def on_body(self, body: bytes) -> None:
        message = self.current
        assert message is not None
        if self.maybe_trailers:
            self.maybe_trailers = False
        message.body_size += len(body)
        if message.body_size > self.max_body:  # a chunked body, whose size was not announced
            raise ClientError(
                413, "body_too_large", f"the body must be at most {self.max_body} bytes"
            )
        message.body.append(body)

    def on_chunk_header(self) -> None:
        self.maybe_trailers = True  # until data comes: after the last chunk come the trailers
        self.head_bytes = 0

    def on_message_complete(self) -> None:
        assert self.current is not None
        self.done.append(self.current)
        self.current = None
        self.head_bytes = 0
        self.maybe_trailers = False
        self.expecting = None


def _check_fields(
    headers: list[tuple[bytes, bytes]], version: str
) -> tuple[int | None, bool, bool]:
    """The request's Content-Length, whether its body is chunked and whether it expects a 100
    Continue, once its Host and Transfer-Encoding fields are checked. One pass, names compared
    by their length first: this runs for every request."""
    length = None
    hosts = codings = 0
    coding = b""
    expects = False
    for name, value in headers:
        size = len(name)
        if size == 4:
            if name.lower() == b"host":
                hosts += 1
        elif size == 14:
            if name.lower() == b"content-length":
                length = int(value)  # llhttp has checked it is a number, and the only one
        elif size == 17:
            if name.lower() == b"transfer-encoding":
                codings += 1
                coding = value
        elif size == 6 and name.lower() == b"expect":
            expects = value.strip(b" \t").lower() == b"100-continue"
    if hosts > 1 or (hosts == 0 and version == "1.1"):
        raise ClientError(400, "bad_request", "the request must carry one Host header")
    if codings:
        if version == "1.0":  # RFC 9112 6.1: its framing cannot be trusted
            raise ClientError(400, "bad_request", "HTTP/1.0 requests cannot use Transfer-Encoding")
        if codings > 1 or coding.strip(b" \t").lower() != b"chunked":
            raise ClientError(
                501, "not_implemented", "the only transfer coding served is chunked, alone"
            )
    return length, codings == 1, expects
