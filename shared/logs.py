"""Logging as text or JSON, every line carrying the correlation id of the work it belongs to.

The correlation id lives in a context variable; eventlet's green threads (greenlets) each have
their own context, so one worker's id never leaks into another's lines.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
from urllib.parse import unquote

from shared.clock import isoformat, utcnow

CORRELATION_HEADER = "X-Correlation-ID"
_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)


def new_correlation_id() -> str:
    """32 random hexadecimal digits, as ``uuid4().hex`` gave, in a quarter of its time."""
    return os.urandom(16).hex()


def get_correlation_id() -> str | None:
    return _correlation_id.get()


def set_correlation_id(value: str | None) -> None:
    _correlation_id.set(value)


# ASCII letters and digits, "-", "_" and ".": what a log line and a header carry safely.
_PLAIN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def clean_correlation_id(raw: object) -> str | None:
    """Accept a caller's correlation id only if it is short and plain (it ends up in logs).

    Checked up to three times per request (header, worker data, worker set-up): one compiled
    match, not a test per character (1.6 % of a signature's CPU, py-spy, 2026-12-02).
    """
    if isinstance(raw, str) and _PLAIN_ID.fullmatch(raw):
        return raw
    return None


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = get_correlation_id() or "-"
        return True


# Routes whose path carries a secret after this prefix (one-click unsubscribe tokens,
# services/notifications/web/citizens.py): access lines show the prefix and "…" instead.
SECRET_PATH_PREFIXES = ("/unsubscribe/",)


class AccessLogFilter(logging.Filter):
    """Drop query strings from the web server's access lines: they carry authorization codes,
    states and login hints, which must never reach logs; cut secret path segments
    (``SECRET_PATH_PREFIXES``) too. Drop clients' addresses from its other lines too (a reset or
    timed-out connection names its peer): the access line has none
    (``shared.web.ACCESS_LOG_FORMAT``). The hub's server cuts secret segments itself, decoded
    (``shared.runtime.httpserver``); this covers any other server's lines."""

    _request = re.compile(r'"([A-Z]+) ([^ "]*)')
    _peer = re.compile(r"\('[^']*', \d+(, \d+, \d+)?\)")

    def filter(self, record: logging.LogRecord) -> bool:
        message = self._request.sub(_without_secrets, record.getMessage())
        record.msg, record.args = self._peer.sub("(a client)", message), None
        return True


def _without_secrets(match: re.Match[str]) -> str:
    """A request line's method and path: no query string, and a secret path segment cut, found
    on the decoded path (a client may percent-encode any letter of a route)."""
    method, path = match.group(1), match.group(2).split("?", 1)[0]
    if "%" in path:
        decoded = unquote(path)
        if any(prefix in decoded for prefix in SECRET_PATH_PREFIXES):
            path = decoded
    for prefix in SECRET_PATH_PREFIXES:
        at = path.find(prefix)
        if at >= 0:
            path = path[: at + len(prefix)] + "…"
            break
    return f'"{method} {path}'


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": isoformat(utcnow()),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"


def configure_logging(fmt: str = "text", level: str = "INFO", process: str | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(CorrelationFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        prefix = f"{process} " if process else ""
        handler.setFormatter(logging.Formatter(prefix + TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kombu and nameko are chatty at INFO about reconnects we already report.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("kombu").setLevel(max(logging.WARNING, root.level))
    # nameko logs expected (4xx) errors as warnings with a stack trace; unexpected ones at ERROR.
    logging.getLogger("nameko.containers").setLevel(max(logging.ERROR, root.level))
    access = logging.getLogger("nameko.web.server")
    if not any(isinstance(f, AccessLogFilter) for f in access.filters):
        access.addFilter(AccessLogFilter())
    logging.getLogger("eventlet.wsgi").setLevel(max(logging.WARNING, root.level))
