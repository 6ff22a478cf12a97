"""Several processes of one service on its one port (``IDENTITY_PROCESSES=2`` and the like).

Python runs one core per process: one process per core is how one machine serves more. The group's
first process (``hub run petitions``) binds the port itself, *without* SO_REUSEPORT, so no other
program can join it silently (eventlet.listen sets that option), and starts the workers: ``hub run
petitions`` again, told the listening socket's descriptor in ``HUB_LISTEN_FD``. They all accept from
that one socket. The first process serves the metrics of all of them, summed, from the files
prometheus_client's multiprocess mode writes; it replaces a worker that dies, and stops them all on
SIGINT/SIGTERM. Each worker is a whole service process, as a Kubernetes replica is: the services
already run several replicas on one database and broker.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections import deque
from typing import Any

from hub.children import HUB_COMMAND, StartError, stop_children, stop_on_signals
from shared.config import Settings

log = logging.getLogger("hub")

LISTEN_FD_ENV = "HUB_LISTEN_FD"  # set by the group for its workers; not a setting
GROUP_PID_ENV = "HUB_GROUP_PID"  # the group's first process, which workers outlive only to stop
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own name
RESTARTS_PER_MINUTE = 5  # a worker dying more often than this stops the group
LISTEN_BACKLOG = 1024


def inherited_listen_fd() -> int | None:
    """The listening socket this process was given as a group's worker, if it is one."""
    raw = os.environ.get(LISTEN_FD_ENV, "")
    return int(raw) if raw.isdigit() else None


def bind_listener(host: str, port: int, what: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # not SO_REUSEPORT: ours alone
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StartError(
            f"{what} port {port} on {host} is already in use ({exc.strerror})"
        ) from None
    sock.listen(LISTEN_BACKLOG)
    sock.set_inheritable(True)
    return sock


def run_group(process: str, settings: Settings) -> int:
    """Bind, start ``settings.process_count(process)`` workers, keep them running until a signal."""
    from shared.metrics import serve_group_metrics

    count = settings.process_count(process)
    sock = bind_listener(settings.bind_host, settings.port(process), process)
    metrics_dir = tempfile.mkdtemp(prefix=f"hub-{process}-metrics-")
    try:
        serve_group_metrics(settings.metrics_port(process), settings.bind_host, metrics_dir)
    except OSError:
        shutil.rmtree(metrics_dir, ignore_errors=True)
        sock.close()
        port = settings.metrics_port(process)
        raise StartError(f"{process} metrics port {port} is already in use") from None
    group = _Group(process, sock, metrics_dir)
    stop_requested = stop_on_signals()
    status = 0
    try:
        for _ in range(count):
            group.start_worker()
        log.info("%s: %d processes on %s", process, count, settings.public_url(process))
        while not stop_requested():
            if not group.replace_dead():
                status = 1
                break
            time.sleep(0.2)
    finally:
        group.stop()
        sock.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return status


class _Group:
    def __init__(self, process: str, sock: socket.socket, metrics_dir: str) -> None:
        self.process = process
        self.sock = sock
        self.metrics_dir = metrics_dir
        self.workers: list[subprocess.Popen[bytes]] = []
        self.deaths: deque[float] = deque()

    def start_worker(self) -> None:
        env = {
            **os.environ,
            LISTEN_FD_ENV: str(self.sock.fileno()),
            GROUP_PID_ENV: str(os.getpid()),
            METRICS_DIR_ENV: self.metrics_dir,
        }
        self.workers.append(
            subprocess.Popen(  # noqa: S603 - our own entry point
                [*HUB_COMMAND, "run", self.process],
                env=env,
                pass_fds=(self.sock.fileno(),),
                start_new_session=True,  # a terminal's Ctrl-C reaches the group; it stops them
            )
        )

    def replace_dead(self) -> bool:
        """Start a new worker for each that exited; False when they die too often to go on."""
        from prometheus_client import multiprocess

        for worker in list(self.workers):
            if worker.poll() is None:
                continue
            self.workers.remove(worker)
            multiprocess.mark_process_dead(worker.pid, self.metrics_dir)
            now = time.monotonic()
            self.deaths.append(now)
            while self.deaths and self.deaths[0] < now - 60:
                self.deaths.popleft()
            if len(self.deaths) > RESTARTS_PER_MINUTE:
                log.error("%s: workers keep exiting; stopping", self.process)
                return False
            log.error(
                "%s: worker %d exited with status %s; starting another",
                self.process,
                worker.pid,
                worker.returncode,
            )
            self.start_worker()
        return True

    def stop(self) -> None:
        stop_children({f"{self.process} worker {w.pid}": w for w in self.workers})


def watch_parent(on_orphaned: Any, interval: float = 1.0) -> None:
    """In a worker: call ``on_orphaned`` once the group's first process is gone (killed -9).

    NOTE: the group's pid comes from the environment, not from os.getppid() at this point: the
    first process may already have died while this one was starting.
    """
    import eventlet

    raw = os.environ.get(GROUP_PID_ENV, "")
    parent = int(raw) if raw.isdigit() else os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            eventlet.sleep(interval)
        on_orphaned()

    eventlet.spawn_n(watch)
