"""Running one hub process in the foreground (``hub run``), and all of them (``hub up``)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from typing import Any

from hub.children import (
    HUB_COMMAND,
    STOP_TIMEOUT_SECONDS,
    StartError,
    ensure_port_free,
    stop_children,
    stop_on_signals,
)
from shared.config import PROCESSES, SERVICES, Settings

log = logging.getLogger("hub")


def run_process(process: str, settings: Settings) -> int:
    """Start one process and block until SIGINT/SIGTERM, then stop it gracefully.

    With ``{SERVICE}_PROCESSES`` above 1 it starts that many instead, on one port
    (hub/process_group.py); each of them comes back here as a worker of the group.
    """
    import eventlet

    if not eventlet.patcher.is_monkey_patched("socket"):
        raise StartError("eventlet.monkey_patch() must run before `hub run` (use the hub command)")
    from nameko.runners import ServiceRunner

    from shared import runtime

    runtime.install(settings.runtime)
    from hub import process_group
    from hub.processes import all_service_classes, service_class
    from shared.bus import broker_reachable, declare_consumer_queues
    from shared.dependencies import nameko_config
    from shared.metrics import serve_metrics
    from shared.web import LISTEN_FD_KEY

    settings.require_production_secrets(process)
    if process == "mock-idp" and settings.production:
        raise StartError("the mock identity provider refuses to start when HUB_ENV=production")
    listen_fd = process_group.inherited_listen_fd()
    if listen_fd is None:  # the group's first process checked all this for its workers
        ensure_port_free(settings.bind_host, settings.port(process), process)
        ensure_port_free(settings.bind_host, settings.metrics_port(process), f"{process} metrics")
    cls = service_class(process)
    if process in SERVICES and listen_fd is None:
        if not broker_reachable(settings.amqp_uri):
            raise StartError(f"no RabbitMQ broker answers at {_safe_uri(settings.amqp_uri)}")
        declare_consumer_queues(settings.amqp_uri, all_service_classes(), settings.queue_type)
    if listen_fd is None and settings.process_count(process) > 1:
        return process_group.run_group(process, settings)
    config = nameko_config(settings, process)
    if listen_fd is None:
        serve_metrics(settings.metrics_port(process), settings.bind_host, cls.name)  # type: ignore[attr-defined]
    else:
        config[LISTEN_FD_KEY] = listen_fd
    runner = ServiceRunner(config)
    runner.add_service(cls)
    stopping = eventlet.event.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if not stopping.ready():
            log.info("%s: stopping (signal %d)", process, signum)
            stopping.send(True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if listen_fd is not None:
        process_group.watch_parent(lambda: on_signal(signal.SIGTERM, None))
    runner.start()
    died = watch_containers(runner, process, stopping)
    frozen = runtime.settle_garbage_collector()
    if frozen:
        log.info("%s: %d start-up objects frozen for the garbage collector", process, frozen)
    log.info("%s: listening on %s", process, settings.public_url(process))
    stopping.wait()
    status = _stop(process, runner)
    return 1 if died else status


def watch_containers(runner: Any, process: str, stopping: Any) -> list[str]:
    """Send ``stopping`` when a service container dies on its own; the names of those that did.

    nameko kills a container when one of its threads fails (a fatal error of the HTTP accept
    loop, say) but leaves the process running, its port bound and nothing answering: the process
    must exit, non-zero, for its supervisor (Kubernetes, ``hub up``, a process group) to restart it.
    """
    import eventlet

    died: list[str] = []

    def watch(container: Any) -> None:
        with contextlib.suppress(Exception):  # nameko has logged why the container died
            container.wait()
        if not stopping.ready():  # not a stop we asked for
            died.append(container.service_name)
            log.error("%s: its service container died; exiting with status 1", process)
            stopping.send(True)

    for container in runner.containers:
        eventlet.spawn_n(watch, container)
    return died


def _stop(process: str, runner: Any) -> int:
    """Stop gracefully within STOP_TIMEOUT_SECONDS, else kill; never hang.

    NOTE: the stop runs in a green thread of its own and is waited for with a timeout, so that a
    Timeout never has to be raised inside nameko's stop (where an exception handler could keep
    it), and the process ends whatever that stop waits for: kill, then exit.
    """
    import eventlet

    stopped = eventlet.spawn(runner.stop)
    with eventlet.Timeout(STOP_TIMEOUT_SECONDS, False):
        stopped.wait()
        return 0
    log.warning("%s: graceful stop timed out; killing", process)
    killed = eventlet.spawn(runner.kill)
    with eventlet.Timeout(5, False):
        killed.wait()
        return 1
    log.error("%s: could not stop its workers; exiting", process)
    logging.shutdown()
    os._exit(1)


def _safe_uri(uri: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(uri)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def run_all(settings: Settings) -> int:
    """Start the five processes as children, print their URLs, stop them all on Ctrl-C (0) or
    when one of them exits (1: the hub did not stop because it was asked to)."""
    for process in PROCESSES:
        ensure_port_free(settings.bind_host, settings.port(process), process)
    children: dict[str, subprocess.Popen[bytes]] = {}
    stop_requested = stop_on_signals()
    failed = False
    try:
        for process in ("mock-idp", "identity", "petitions", "notifications", "transparency"):
            children[process] = subprocess.Popen(  # noqa: S603 - our own entry point
                [*HUB_COMMAND, "run", process],
                env=os.environ.copy(),
                start_new_session=True,  # Ctrl-C reaches us only; we stop them in order
            )
        _print_urls(settings)
        while not (failed or stop_requested()):
            for process, child in children.items():
                if child.poll() is not None:
                    log.error(
                        "%s exited with status %s; stopping the hub", process, child.returncode
                    )
                    failed = True
            time.sleep(0.2)
    finally:
        stop_children(children)
    return 1 if failed else 0


def _print_urls(settings: Settings) -> None:
    print("\nThe participation hub is starting:", flush=True)
    for process in PROCESSES:
        metrics = f"http://{settings.bind_host}:{settings.metrics_port(process)}/metrics"
        print(f"  {process:<14} {settings.public_url(process)}   metrics {metrics}", flush=True)
    print("Press Ctrl-C to stop them all.\n", flush=True)
