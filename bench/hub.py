"""The hub under test: started with ``python -m hub up`` (what ``make run`` runs), stopped
with SIGINT (Ctrl-C), its children found through /proc for their peak RSS."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from shared.config import PROCESSES, SERVICES
from shared.testing import free_port

ROOT = Path(__file__).resolve().parent.parent
HUB = [sys.executable, "-m", "hub"]
PREFIX = {"identity": "IDENTITY", "petitions": "PETITIONS", "notifications": "NOTIFICATIONS"}
PREFIX["mock-idp"] = "MOCK_IDP"
PREFIX["transparency"] = "TRANSPARENCY"


def hub_environment(
    database_urls: dict[str, str], amqp_uri: str, data_dir: Path, identities: Path
) -> dict[str, str]:
    env = {
        "HUB_ENV": "development",
        "HUB_DATA_DIR": str(data_dir),
        "HUB_AMQP_URI": amqp_uri,
        "HUB_WEBHOOK_ALLOW_PRIVATE": "on",
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_ACCESS_TOKEN_TTL": "3600",
        "MOCK_IDP_IDENTITIES": str(identities),
        # thresholds far above what the bench signs: no threshold events in the figures
        "HUB_PETITION_THRESHOLDS": "1000000000",
        # every simulated citizen comes from 127.0.0.1: per-address limits would throttle the run
        "HUB_RATE_LIMIT_LOGIN_PER_ADDRESS": "0",
        "HUB_RATE_LIMIT_SIGN_PER_ADDRESS": "0",
        "HUB_RATE_LIMIT_SIGN_PER_CLIENT": "0",
    }
    for service in SERVICES:
        env[f"{PREFIX[service]}_DATABASE_URL"] = database_urls[service]
    for process in PROCESSES:
        port = free_port()
        env[f"{PREFIX[process]}_PORT"] = str(port)
        env[f"{PREFIX[process]}_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
        env[f"{PREFIX[process]}_METRICS_PORT"] = str(free_port())
    return env


class Hub:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.full_env = {**os.environ, **env}

    def url(self, process: str) -> str:
        return self.env[f"{PREFIX[process]}_PUBLIC_URL"]

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own entry point
                [*HUB, "up"], env=self.full_env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        from shared.testing import wait_for_http

        assert self.process is not None
        deadline = time.monotonic() + timeout
        for process in PROCESSES:
            left = max(1.0, deadline - time.monotonic())
            wait_for_http(self.url(process) + "/healthz", timeout=left)
            if self.process.poll() is not None:
                raise RuntimeError(f"hub up exited early:\n{self.log_tail()}")
        for process in SERVICES:
            _wait_ready(self.url(process) + "/readyz", deadline)

    def cli(self, *args: str) -> dict[str, Any]:
        result = subprocess.run(  # noqa: S603 - our own entry point
            [*HUB, *args], env=self.full_env, capture_output=True, text=True, cwd=ROOT, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"hub {' '.join(args)} failed: {result.stderr.strip()[-2000:]}")
        return json.loads(result.stdout)

    def create_clients(self, redirect_uri: str) -> dict[str, dict[str, Any]]:
        """The three clients the bench needs, registered in parallel (`hub clients create`)."""
        specs = {
            "app": ["--kind", "service-provider", "--redirect-uri", redirect_uri],
            "operator": ["--kind", "operator"],
            "agency": ["--kind", "agency"],
        }
        running = {
            name: subprocess.Popen(  # noqa: S603 - our own entry point
                [*HUB, "clients", "create", "--name", f"Bench {name}", *extra],
                env=self.full_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=ROOT,
                text=True,
            )
            for name, extra in specs.items()
        }
        clients = {}
        for name, proc in running.items():
            out, err = proc.communicate(timeout=120)
            if proc.returncode != 0:
                raise RuntimeError(f"hub clients create ({name}) failed: {err.strip()[-2000:]}")
            clients[name] = json.loads(out)
        return clients

    def children(self) -> dict[str, list[int]]:
        """The pids of each process `hub up` started, by process name: one, or a group's first
        process and its workers (``{SERVICE}_PROCESSES``)."""
        if self.process is None:
            return {}
        found: dict[str, list[int]] = {}
        todo = child_pids(self.process.pid)
        while todo:
            pid = todo.pop()
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"run" in argv:
                found.setdefault(argv[argv.index(b"run") + 1].decode(), []).append(pid)
                todo.extend(child_pids(pid))
        return found

    def peak_rss_mb(self) -> dict[str, float]:
        """VmHWM (peak resident set) of each service's largest process, in MB."""
        return {
            name: max(_status_kb(pid, "VmHWM") for pid in pids) / 1024
            for name, pids in self.children().items()
        }

    def cpu_seconds(self) -> dict[str, float]:
        """User + system CPU time each service's processes have used so far, together."""
        ticks = os.sysconf("SC_CLK_TCK")
        used: dict[str, float] = {}
        for name, pids in self.children().items():
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                used[name] = used.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
        return used

    def stop(self, timeout: float = 60.0) -> int | None:
        """Ctrl-C, as a person at the terminal would."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for pids in self.children().values():
                for pid in pids:
                    _kill(pid)
            self.process.kill()
            return self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _wait_ready(url: str, deadline: float) -> None:
    import requests

    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready in time")


def child_pids(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent:
            pids.append(int(entry.name))
    return pids


def _status_kb(pid: int, key: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def _kill(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
