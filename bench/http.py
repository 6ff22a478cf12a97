"""A cheap HTTP/1.1 client for load generation: keep-alive connections, no cookie policy engine.

``requests`` costs about a millisecond of CPU per call; on a 2-core machine shared with the hub
that would be the bench measuring itself. :class:`Connections` keeps one keep-alive
``http.client`` connection per host:port (green under eventlet) and retries once when a reused
connection turns out to have been closed by the server.

:class:`Keepalive` is leaner still, for the signing loops that send tens of thousands of requests:
the request is bytes the caller built once, and only the status line and ``Content-Length`` of the
answer are read (``http.client`` parses every header through the ``email`` package: about a fifth
of the load generator's CPU in the profile).
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import urlsplit

RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Response:
    __slots__ = ("status", "headers", "body", "cookies")

    def __init__(self, status: int, headers: dict[str, str], body: bytes, cookies: list[str]):
        self.status = status
        self.headers = headers
        self.body = body
        self.cookies = cookies

    def json(self) -> Any:
        return json.loads(self.body)


class Connections:
    """Keep-alive connections by host:port, for one green thread at a time."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._conns: dict[str, http.client.HTTPConnection] = {}

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        parts = urlsplit(url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        hdrs = {"Content-Length": str(len(body or b""))} if method != "GET" else {}
        hdrs.update(headers or {})
        for attempt in (0, 1):
            conn = self._conns.get(parts.netloc)
            reused = conn is not None
            if conn is None:
                conn = http.client.HTTPConnection(parts.netloc, timeout=self.timeout)
                self._conns[parts.netloc] = conn
            try:
                conn.request(method, path or "/", body=body, headers=hdrs)
                resp = conn.getresponse()
                data = resp.read()
            except RETRYABLE:
                conn.close()
                del self._conns[parts.netloc]
                if reused and attempt == 0:
                    continue
                raise
            except Exception:
                conn.close()
                self._conns.pop(parts.netloc, None)
                raise
            if resp.will_close:
                conn.close()
                del self._conns[parts.netloc]
            headers_out = {k.lower(): v for k, v in resp.getheaders()}
            cookies = resp.msg.get_all("Set-Cookie") or []
            return Response(resp.status, headers_out, data, cookies)
        raise AssertionError("unreachable")

    def get(self, url: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", url, headers=headers)

    def post_json(self, url: str, payload: Any, headers: dict[str, str] | None = None) -> Response:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        return self.request("POST", url, json.dumps(payload).encode(), hdrs)

    def post_form(self, url: str, form: str, headers: dict[str, str] | None = None) -> Response:
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", url, form.encode(), hdrs)

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()


class CookieJar:
    """Name=value cookies of one browser on one host (loopback ports share cookies, as browsers
    do); enough for the login flow's state cookies."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def update(self, set_cookies: list[str]) -> None:
        for raw in set_cookies:
            pair = raw.split(";", 1)[0]
            name, _, value = pair.partition("=")
            name = name.strip()
            attrs = raw.lower()
            if "max-age=0" in attrs or "expires=thu, 01 jan 1970" in attrs:
                self._values.pop(name, None)
            elif name:
                self._values[name] = value.strip()

    def header(self) -> dict[str, str]:
        if not self._values:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self._values.items())}


class Keepalive:
    """One keep-alive HTTP/1.1 connection to one host:port, for one green thread at a time.

    ``exchange`` sends a request given as bytes and returns ``(status, body)``. It understands
    what the hub answers (``Content-Length`` bodies, ``Connection: close``); a chunked answer is
    refused rather than misread. A reused connection the server has closed is reopened once.
    """

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.address = (host, port)
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buffer = b""

    def exchange(self, request: bytes) -> tuple[int, bytes]:
        for attempt in (0, 1):
            reused = self._sock is not None
            if self._sock is None:
                self._sock = socket.create_connection(self.address, timeout=self.timeout)
                self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._buffer = b""
            try:
                self._sock.sendall(request)
                return self._read()
            except (ConnectionError, EOFError):
                self.close()
                if reused and attempt == 0:
                    continue
                raise
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")

    def _read(self) -> tuple[int, bytes]:
        assert self._sock is not None
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        while end < 0:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise EOFError("the server closed the connection")
            buffer += chunk
            end = buffer.find(b"\r\n\r\n")
        head = buffer[:end].lower()
        status = int(head[9:12])
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            if b"transfer-encoding:" in head:
                raise ValueError("a chunked answer: Keepalive reads Content-Length bodies only")
            length = 0
        else:
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop >= 0 else len(head)])
        body_end = end + 4 + length
        while len(buffer) < body_end:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise EOFError("the server closed the connection mid-answer")
            buffer += chunk
        body, self._buffer = buffer[end + 4 : body_end], buffer[body_end:]
        if b"\r\nconnection: close" in head:
            self.close()
        return status, body

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buffer = b""
