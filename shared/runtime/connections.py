"""Accepting connections for :mod:`shared.runtime.httpserver`, within the process's descriptors.

nameko's ``WebServer.run`` loops on ``accept()`` with no error handling: one ``EMFILE`` (too many
open files) ended the loop, nameko killed the service container, and the process lived on with
its port bound and nobody accepting. :func:`accept_connections` replaces that loop
(``shared.web.HubWebServer.run``):

- an error that a later ``accept()`` may not have (out of descriptors or memory, a connection
  that died in the queue) is logged, at most every few seconds and without any peer; when
  descriptors or memory are short the oldest idle connections are closed to free some, and the
  loop waits a moment and goes on;
- the process holds at most ``HUB_MAX_CONNECTIONS`` connections, fewer if its descriptor limit
  leaves less room: at the cap the oldest idle connection is closed to make room, and if none is
  idle the new one is answered a JSON 503 with ``Retry-After`` and closed;
- any other error of ``accept()`` is fatal: it leaves the loop, nameko kills the container, and
  ``services.runner.run_process`` exits with status 1 for its supervisor to restart it.

An idle connection is one waiting for the first byte of a request (a new one, or a kept-alive
one between requests): closing it loses nothing, and a client retries on a fresh connection
(RFC 9112 9.3.1).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import resource
import socket
import time
from functools import partial
from typing import Any

import eventlet

from shared.config import DEFAULT_MAX_CONNECTIONS

log = logging.getLogger(__name__)

# Descriptors the process keeps for everything but clients' connections: its listening sockets,
# database and broker connections, outgoing HTTP pools, log and library files.
RESERVED_DESCRIPTORS = 200
RETRY_SECONDS = 0.1  # after a shortage, before accepting again
FREED_PER_SHORTAGE = 16  # idle connections closed when descriptors or memory run short
LOG_EVERY_SECONDS = 10.0
BUSY_LINGER_SECONDS = 0.5  # a refused connection's request is read and dropped this long

SHORTAGES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# A connection that died in the listening queue; Linux reports its pending network error from
# accept(), and accept(2) says to retry (as for EAGAIN).
LOST_IN_QUEUE = frozenset(
    {
        errno.ECONNABORTED,
        errno.EPROTO,
        errno.EPERM,  # a firewall rule refused it
        errno.ENETDOWN,
        errno.ENETUNREACH,
        errno.EHOSTDOWN,
        errno.EHOSTUNREACH,
        errno.ENONET,
        errno.ENOPROTOOPT,
        errno.EOPNOTSUPP,
    }
)


class Connections:
    """The server's open connections, and those waiting for a request (idle), oldest first.

    Shared by the accept loop, which counts and closes them, and the server, which marks a
    connection idle while it waits for a request (``shared.runtime.httpserver.HttpServer.serve``).
    """

    def __init__(self, limit: int = DEFAULT_MAX_CONNECTIONS) -> None:
        self.limit = limit
        self.open: set[Any] = set()
        self.idle: dict[Any, bool] = {}  # insertion order: the longest idle first

    def forget(self, sock: Any) -> None:
        self.open.discard(sock)
        self.idle.pop(sock, None)

    def close_idle(self, most: int) -> int:
        """Close up to ``most`` of the longest idle connections; how many. Their threads see
        the end of the connection and close the descriptor; a request that came meanwhile is
        not served (the server drops an idle connection it no longer finds here)."""
        closed = 0
        idle = self.idle
        while idle and closed < most:
            sock = next(iter(idle))
            del idle[sock]
            with contextlib.suppress(OSError):  # already gone
                sock.shutdown(socket.SHUT_RDWR)
            closed += 1
        return closed


def connection_limit(setting: int) -> int:
    """``HUB_MAX_CONNECTIONS``, lowered to what the descriptor limit leaves room for."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return setting
    return max(1, min(setting, soft - RESERVED_DESCRIPTORS))


class _Every:
    """A warning at most once per period, counting the times it was held back."""

    def __init__(self, period: float = LOG_EVERY_SECONDS) -> None:
        self.period = period
        self.next = 0.0
        self.held = 0

    def warn(self, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now < self.next:
            self.held += 1
            return
        log.warning(message + " (%d more since the last such line)", *args, self.held)
        self.held = 0
        self.next = now + self.period


def accept_connections(web: Any) -> None:
    """nameko's ``WebServer.run`` (``web`` is the ``HubWebServer``), within the process's
    descriptors: see the module."""
    server = web._serv
    connections: Connections = server.connections
    listener = web._sock
    spawn = web.container.spawn_managed_thread
    shortage, busy = _Every(), _Every()
    while web._is_accepting:
        try:
            sock, address = listener.accept()
        except OSError as exc:
            if exc.errno in LOST_IN_QUEUE:
                log.debug("a connection was lost before it was accepted: %s", _name(exc))
                continue
            if exc.errno not in SHORTAGES:
                raise  # fatal: the container dies, and the process with it (hub/runner.py)
            freed = connections.close_idle(FREED_PER_SHORTAGE)
            shortage.warn(
                "cannot accept connections (%s, %d open): closed %d idle ones",
                _name(exc),
                len(connections.open),
                freed,
            )
            eventlet.sleep(RETRY_SECONDS)
            continue
        sock.settimeout(server.socket_timeout)
        if len(connections.open) >= connections.limit and not connections.close_idle(1):
            busy.warn("%d connections open, none idle: refused one", len(connections.open))
            spawn(partial(server.refuse_busy, sock, BUSY_LINGER_SECONDS))
            continue
        connections.open.add(sock)
        spawn(partial(web.process_request, sock, address))


def _name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, str(exc.errno))
