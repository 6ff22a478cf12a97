"""What the launcher's parts share: starting a child process of the hub, stopping children,
refusing a port already taken, and the error that stops a start."""

from __future__ import annotations

import errno
import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("hub")

# A hub process started by the launcher: the same interpreter, the hub command.
HUB_COMMAND = (sys.executable, "-m", "hub")
STOP_TIMEOUT_SECONDS = 20


class StartError(RuntimeError):
    """The process cannot start; the message says why and what to do."""


def ensure_port_free(host: str, port: int, what: str) -> None:
    """Refuse a port someone already listens on.

    NOTE: eventlet.listen sets SO_REUSEPORT, so a second process would silently share the port
    with the first; a plain bind (without SO_REUSEPORT) tells us it is taken.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StartError(f"{what} port {port} on {host} is already in use") from None
            raise


def stop_on_signals() -> Callable[[], bool]:
    """Catch SIGINT and SIGTERM from now on; the function returned says whether one came."""
    came: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        came.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return lambda: bool(came)


def stop_children(children: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each child still running; kill those still there after STOP_TIMEOUT_SECONDS."""
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS + 5
    for process, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in time; killing it", process)
            child.kill()
            child.wait()
