"""The hub's runtime: its replacements of parts of nameko and eventlet, and its garbage-collector
settings, in one package, chosen by one call, off with ``HUB_RUNTIME=stock``.

The README's table ("The runtime") says what each part replaces, in which upstream version, what
it gains (figures in docs/capacity.md) and which test shows it. :func:`install` is called once
by the composition root (``hub.runner.run_process``) and by the tests' root ``conftest.py``;
everything else asks this module which part to use:

- ``hub`` (default): :mod:`.container` (nameko's container with a leaner worker, HTTP workers
  in the connection's thread), :mod:`.httpserver` and :mod:`.http_reading` (HTTP/1.1 parsed by
  httptools, bounded), :mod:`.connections` (the accept loop within the process's descriptors,
  a connection cap), :mod:`.gc` (frozen start-up objects, higher thresholds);
- ``stock``: nameko's own ``ServiceContainer`` and ``WebServer`` (its accept loop and eventlet's
  WSGI server), Python's collector. For comparison, and to fall back on if an upgrade of nameko
  or eventlet breaks a replacement; the bounds of the hub's HTTP server (connection cap,
  descriptor exhaustion, request framing) are then eventlet's.
"""

from __future__ import annotations

import logging
from typing import Any

# NOTE: imported now, not when a service has started: a process out of descriptors by then could
# not open the module's file.
from shared.runtime import gc as _gc

HUB, STOCK = "hub", "stock"
RUNTIMES = (HUB, STOCK)
_STOCK_CONTAINER = "nameko.containers.ServiceContainer"
_HUB_CONTAINER = "shared.runtime.container.HubContainer"

_active = HUB


def install(runtime: str = HUB) -> None:
    """Choose the runtime of this process (before any service container is made)."""
    global _active
    if runtime not in RUNTIMES:
        raise ValueError(f"HUB_RUNTIME must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
    _active = runtime


def active() -> str:
    return _active


def container_class() -> str:
    """nameko's ``SERVICE_CONTAINER_CLS`` setting."""
    return _HUB_CONTAINER if _active == HUB else _STOCK_CONTAINER


def accept_connections(web: Any) -> None:
    """The web server's accept loop (``web`` is a ``shared.web.HubWebServer``)."""
    if _active == HUB:
        from shared.runtime.connections import accept_connections as hub_loop

        hub_loop(web)
    else:
        from nameko.web.server import WebServer

        WebServer.run(web)


def wsgi_server(
    sock: Any, app: Any, log: logging.Logger, max_body: int, log_format: str, max_connections: int
) -> Any:
    """The server of one service's HTTP connections."""
    if _active == HUB:
        from shared.runtime.connections import connection_limit
        from shared.runtime.httpserver import HttpServer, WhenLogged

        # The access line is only made while the logger keeps it (asked per request, so a level
        # changed at run time takes effect).
        return HttpServer(
            sock,
            app,
            log,
            max_body=max_body,
            log_format=log_format,
            log_output=WhenLogged(log, logging.INFO),
            max_connections=connection_limit(max_connections),
        )
    from eventlet import wsgi
    from nameko.web.server import HttpOnlyProtocol

    from shared.logs import AccessLogFilter

    # nameko's WebServer.get_wsgi_server, with the hub's access line (no client address), and
    # what must not reach a log (query strings, secret path segments) cut from its lines.
    if not any(isinstance(f, AccessLogFilter) for f in log.filters):
        log.addFilter(AccessLogFilter())
    return wsgi.Server(
        sock, sock.getsockname(), app, protocol=HttpOnlyProtocol, log=log, log_format=log_format
    )


def settle_garbage_collector() -> int:
    """Once a service has started; how many start-up objects were frozen (0: stock)."""
    return _gc.settle() if _active == HUB else 0
