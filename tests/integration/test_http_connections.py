"""The services' accept loop (shared.runtime.connections) and what ends a service process: a
shortage of descriptors is survived, the connection cap makes room by closing the longest idle
connection or answers 503, an error on one connection ends that connection only, and a fatal
error of the accept loop makes the process exit non-zero for its supervisor to restart it."""

from __future__ import annotations

import errno
import json
import logging
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import eventlet
import pytest
import requests
from nameko.containers import get_container_cls

from shared.config import Settings
from shared.runtime.connections import RESERVED_DESCRIPTORS, connection_limit
from shared.runtime.container import CONTAINER_CLS
from shared.runtime.http_reading import RequestReader
from shared.testing import free_port, wait_for_http
from shared.web import http, json_response
from tests.integration.http_wire import closed, read_response

ROOT = Path(__file__).resolve().parents[2]
HUB = [sys.executable, "-m", "hub"]
GET = b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"


class Small:
    name = "small"

    @http("GET", "/ok")
    def ok(self, request: Any) -> Any:
        return json_response({"ok": True})


@pytest.fixture
def capped() -> Iterator[tuple[int, Any]]:
    """A service in this process, on the hub's web server, with room for 3 connections."""
    port = free_port()
    config = {
        "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/",
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
        "SERVICE_CONTAINER_CLS": CONTAINER_CLS,
        "HUB_SETTINGS": Settings(max_connections=3),
    }
    container = get_container_cls(config)(Small, config)
    container.start()
    try:
        yield port, container
    finally:
        container.kill()


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def _served(conn: socket.socket, buffer: bytearray | None = None) -> bool:
    conn.sendall(GET)
    response = read_response(conn, buffer)
    return response["status"] == 200 and json.loads(response["body"]) == {"ok": True}


def test_the_cap_leaves_room_for_the_processes_other_descriptors() -> None:
    limits = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (RESERVED_DESCRIPTORS + 300, limits[1]))
        assert connection_limit(1000) == 300
        assert connection_limit(100) == 100
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)


def test_at_the_cap_the_longest_idle_connection_makes_room(capped: tuple[int, Any]) -> None:
    port, _ = capped
    older, newer, begun = _connect(port), _connect(port), _connect(port)
    try:
        assert _served(older)  # then idle, kept alive
        assert _served(newer)  # idle since later
        begun.sendall(b"GET /ok HTTP/1.1\r\n")  # a request under way: not idle
        eventlet.sleep(0.2)
        with _connect(port) as fourth:
            assert _served(fourth)
        assert closed(older)
        assert _served(newer)
        begun.sendall(b"Host: x\r\n\r\n")
        assert read_response(begun)["status"] == 200
    finally:
        for conn in (older, newer, begun):
            conn.close()


def test_at_the_cap_with_none_idle_a_new_connection_gets_a_json_503(
    capped: tuple[int, Any],
) -> None:
    port, _ = capped
    begun = [_connect(port) for _ in range(3)]
    try:
        for conn in begun:
            conn.sendall(b"GET /ok HTTP/1.1\r\n")
        eventlet.sleep(0.2)
        with _connect(port) as extra:
            extra.sendall(GET)
            response = read_response(extra)
            assert closed(extra)
        assert response["status"] == 503
        assert response["headers"]["retry-after"] == "2"
        assert response["headers"]["connection"] == "close"
        assert json.loads(response["body"])["error"] == "unavailable"
        begun[0].sendall(b"Host: x\r\n\r\n")  # one ends its request: idle, it makes room
        assert read_response(begun[0])["status"] == 200
        with _connect(port) as again:
            assert _served(again)
    finally:
        for conn in begun:
            conn.close()


@pytest.mark.parametrize(
    "error", [OSError(errno.ENOTCONN, "Transport endpoint is not connected"), KeyError("bug")]
)
def test_an_error_on_one_connection_ends_that_connection_only(
    capped: tuple[int, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    port, container = capped
    feed = RequestReader.feed

    def failing(self: RequestReader, data: bytes) -> None:
        if b"/boom" in data:
            raise error
        feed(self, data)

    monkeypatch.setattr(RequestReader, "feed", failing)
    caplog.set_level(logging.DEBUG, logger="nameko.web.server")
    with _connect(port) as conn:
        conn.sendall(b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
        assert closed(conn)
    eventlet.sleep(0.1)
    assert not container._died.ready()  # nameko kills the container when a thread fails
    with _connect(port) as conn:
        assert _served(conn)
    lines = [r for r in caplog.records if "a connection ended" in r.getMessage()]
    assert lines and all("127.0.0.1" not in r.getMessage() for r in lines)


# --- a real service process ---------------------------------------------------------------------


@pytest.fixture
def petitions_env(hub_env: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **hub_env, "HUB_LOG_LEVEL": "INFO"}
    subprocess.run([*HUB, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=ROOT)  # noqa: S603
    return env


@pytest.fixture
def petitions(petitions_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, Any]]:
    log_path = tmp_path / "petitions.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            [*HUB, "run", "petitions"],
            env=petitions_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        wait_for_http(petitions_env["PETITIONS_PUBLIC_URL"] + "/healthz", timeout=60)
        yield {
            "process": process,
            "port": int(petitions_env["PETITIONS_PORT"]),
            "log": log_path,
        }
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def _lower_descriptors(pid: int, room: int) -> tuple[int, int]:
    """Leave the process ``room`` descriptors more than it has open; the limits it had."""
    before = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    in_use = len(os.listdir(f"/proc/{pid}/fd"))
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (in_use + room, before[1]))
    return before


def _healthz(port: int, timeout: float) -> int:
    return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=timeout).status_code


def test_a_process_out_of_descriptors_serves_again_once_they_are_released(
    petitions: dict[str, Any],
) -> None:
    pid, port = petitions["process"].pid, petitions["port"]
    limits = _lower_descriptors(pid, 20)
    clients: list[socket.socket] = []
    try:
        for _ in range(60):  # more than it may hold; the rest wait in the listening queue
            conn = _connect(port)
            conn.sendall(b"GET /healthz HTTP/1.1\r\n")  # requests under way: none idle
            clients.append(conn)
        time.sleep(1.0)
    finally:
        for conn in clients:
            conn.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, limits)
    deadline = time.monotonic() + 5
    while True:  # the green thread of each connection closed has to see its end first
        try:
            assert _healthz(port, 2) == 200
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
    assert petitions["process"].poll() is None
    log = petitions["log"].read_text()
    assert "cannot accept connections (EMFILE" in log
    assert "127.0.0.1" not in log.split("cannot accept connections", 1)[1].split("\n", 1)[0]


def test_out_of_descriptors_a_process_closes_idle_connections_to_serve(
    petitions: dict[str, Any],
) -> None:
    pid, port = petitions["process"].pid, petitions["port"]
    limits = _lower_descriptors(pid, 20)
    clients: list[socket.socket] = []
    try:
        clients = [_connect(port) for _ in range(60)]  # connected, and silent: idle
        time.sleep(0.5)
        assert _healthz(port, 5) == 200  # while they are held, the limit still low
    finally:
        for conn in clients:
            conn.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, limits)


def test_a_fatal_error_of_the_accept_loop_ends_the_process_with_status_1(
    petitions_env: dict[str, str], tmp_path: Path
) -> None:
    # As a process group's worker: its listening socket is given, so this test holds it too.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    env = {**petitions_env, "HUB_LISTEN_FD": str(listener.fileno())}
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            [*HUB, "run", "petitions"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            pass_fds=(listener.fileno(),),
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        listener.shutdown(socket.SHUT_RDWR)  # accept() now fails with EINVAL: not transient
        assert process.wait(timeout=30) == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        listener.close()
    assert "its service container died; exiting with status 1" in log_path.read_text()
