"""What ends a service process: a fatal error of its HTTP accept loop makes it exit non-zero,
for its supervisor to restart it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from shared.testing import wait_for_http

ROOT = Path(__file__).resolve().parents[2]
HUB = [sys.executable, "-m", "services"]


@pytest.fixture
def petitions_env(hub_env: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **hub_env, "HUB_LOG_LEVEL": "INFO"}
    subprocess.run([*HUB, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=ROOT)  # noqa: S603
    return env


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
