"""Several processes of one service on its one port (``PETITIONS_PROCESSES=2``): each worker can
serve alone, the metrics are summed, a dead worker is replaced, nobody else can take the port, and
a stop stops them all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.hub import child_pids
from shared.testing import wait_for_http

ROOT = Path(__file__).resolve().parents[2]
HUB = [sys.executable, "-m", "hub"]


@pytest.fixture
def group(hub_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = {**os.environ, **hub_env, "PETITIONS_PROCESSES": "2"}
    subprocess.run([*HUB, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=ROOT)  # noqa: S603
    log_path = tmp_path / "petitions.log"
    with log_path.open("wb") as log:
        first = subprocess.Popen(  # noqa: S603
            [*HUB, "run", "petitions"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
    url = env["PETITIONS_PUBLIC_URL"]
    metrics = f"http://127.0.0.1:{env['PETITIONS_METRICS_PORT']}/metrics"
    try:
        wait_for_http(url + "/healthz", timeout=60)
        _wait(lambda: len(_workers(first.pid)) == 2, "two workers")
        yield {"first": first, "url": url, "metrics": metrics, "env": env, "log": log_path}
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGTERM)
            first.wait(timeout=60)


def test_each_worker_serves_alone_and_the_metrics_add_up(group: dict[str, Any]) -> None:
    before = _healthz_calls(group["metrics"])
    workers = _workers(group["first"].pid)
    for frozen in workers:
        os.kill(frozen, signal.SIGSTOP)  # the other worker alone must take the connections
        try:
            for _ in range(5):
                response = requests.get(
                    group["url"] + "/healthz", headers={"Connection": "close"}, timeout=10
                )
                assert response.status_code == 200
        finally:
            os.kill(frozen, signal.SIGCONT)
    _wait(lambda: _healthz_calls(group["metrics"]) - before == 10, "10 calls summed")


def test_each_worker_settles_its_garbage_collector_once_started(group: dict[str, Any]) -> None:
    # hub/runner.py: start-up objects frozen, young objects collected less often
    _wait(
        lambda: (
            len(re.findall(r"petitions: \d{4,} start-up objects frozen", group["log"].read_text()))
            == 2
        ),
        "both workers' garbage collectors settled",
    )


def test_a_dead_worker_is_replaced_and_a_stop_stops_them_all(group: dict[str, Any]) -> None:
    first = group["first"]
    killed = _workers(first.pid)[0]
    os.kill(killed, signal.SIGKILL)
    _wait(lambda: len(_workers(first.pid)) == 2 and killed not in _workers(first.pid), "a new one")
    assert requests.get(group["url"] + "/healthz", timeout=10).status_code == 200
    workers = _workers(first.pid)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0
    assert not [pid for pid in workers if _alive(pid)], "a worker outlived its group"
    assert "exited with status -9; starting another" in group["log"].read_text()


def test_no_other_process_can_take_the_groups_port(group: dict[str, Any]) -> None:
    env = {**group["env"], "PETITIONS_PROCESSES": "1"}
    result = subprocess.run(  # noqa: S603
        [*HUB, "run", "petitions"], env=env, capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 1
    assert re.search(r"petitions port \d+ on 127.0.0.1 is already in use", result.stderr)


def test_workers_stop_when_the_group_is_killed(group: dict[str, Any]) -> None:
    workers = _workers(group["first"].pid)
    group["first"].kill()
    group["first"].wait(timeout=10)
    _wait(lambda: not [pid for pid in workers if _alive(pid)], "orphaned workers to stop", 30)


def _workers(parent: int) -> list[int]:
    return sorted(child_pids(parent))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _healthz_calls(metrics_url: str) -> float:
    text = requests.get(metrics_url, timeout=10).text
    pattern = r'hub_petitions_entrypoint_calls_total\{entrypoint="healthz",outcome="ok"\} (\S+)'
    return sum(float(value) for value in re.findall(pattern, text))


def _wait(predicate: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
