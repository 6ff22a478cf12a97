"""The hub's five processes, each started as `hub up` starts it (``python -m hub run <p>``,
the same environment), but one by one so that a test can kill -9 one and start it again.

NOTE: `hub up` stops the whole hub when one child exits; that is right for a person at a
terminal, and exactly what a fault test cannot use.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
HUB = [sys.executable, "-m", "hub"]
# `hub up`'s order (hub/runner.py)
PROCESSES = ("mock-idp", "identity", "petitions", "notifications", "transparency")
SERVICES = ("identity", "petitions", "notifications", "transparency")
READY_TIMEOUT = 90.0


class Hub:
    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = {**os.environ, **env}
        self.log_dir = log_dir
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.exit_codes: dict[str, list[int]] = {p: [] for p in PROCESSES}
        log_dir.mkdir(parents=True, exist_ok=True)

    # -- addresses -------------------------------------------------------------------------

    def url(self, process: str) -> str:
        return self.env[f"{process.upper().replace('-', '_')}_PUBLIC_URL"]

    def metrics_url(self, process: str) -> str:
        return f"http://127.0.0.1:{self.env[f'{process.upper()}_METRICS_PORT']}/metrics"

    def log_path(self, process: str) -> Path:
        return self.log_dir / f"{process}.log"

    # -- commands --------------------------------------------------------------------------

    def cli(self, *args: str) -> Any:
        import json

        result = subprocess.run(  # noqa: S603 - our own entry point
            [*HUB, *args], env=self.env, capture_output=True, text=True, cwd=ROOT, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"hub {' '.join(args)}: {result.stderr}")
        self._append("cli", result.stdout + result.stderr)
        return json.loads(result.stdout) if result.stdout.strip().startswith("{") else result.stdout

    def _append(self, name: str, text: str) -> None:
        with (self.log_dir / f"{name}.log").open("a") as out:
            out.write(text)

    # -- processes -------------------------------------------------------------------------

    def start(self, process: str, wait: bool = True) -> None:
        with self.log_path(process).open("ab") as log:
            self.children[process] = subprocess.Popen(  # noqa: S603 - our own entry point
                [*HUB, "run", process],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
            )
        if wait:
            self.wait_ready(process)

    def start_all(self) -> None:
        for process in PROCESSES:
            self.start(process, wait=False)
        for process in PROCESSES:
            self.wait_ready(process)

    def pid(self, process: str) -> int:
        return self.children[process].pid

    def kill9(self, process: str) -> None:
        child = self.children[process]
        os.kill(child.pid, signal.SIGKILL)
        self.exit_codes[process].append(child.wait(timeout=30))

    def terminate(self, process: str, timeout: float = 60.0) -> int:
        """SIGTERM, as an orchestrator stops a pod; the exit status."""
        child = self.children[process]
        child.send_signal(signal.SIGTERM)
        code = child.wait(timeout=timeout)
        self.exit_codes[process].append(code)
        return code

    def restart(self, process: str, how: str = "kill9") -> float:
        """Kill -9 (or SIGTERM) a process, start it again; seconds until it is ready again."""
        began = time.monotonic()
        if how == "kill9":
            self.kill9(process)
        else:
            self.terminate(process)
        self.start(process)
        return time.monotonic() - began

    def wait_ready(self, process: str, timeout: float = READY_TIMEOUT) -> None:
        path = "/readyz" if process in SERVICES else "/healthz"
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            child = self.children.get(process)
            if child is not None and child.poll() is not None:
                raise RuntimeError(f"{process} exited ({child.returncode}):\n{self.tail(process)}")
            try:
                response = requests.get(self.url(process) + path, timeout=2)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(0.2)
        raise TimeoutError(f"{process} not ready in {timeout}s: {last}\n{self.tail(process)}")

    def wait_all_ready(self, timeout: float = READY_TIMEOUT) -> None:
        for process in PROCESSES:
            self.wait_ready(process, timeout)

    def stop_all(self) -> dict[str, int | None]:
        codes: dict[str, int | None] = {}
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for process, child in self.children.items():
            try:
                codes[process] = child.wait(timeout=40)
            except subprocess.TimeoutExpired:
                child.kill()
                codes[process] = child.wait()
        return codes

    def tail(self, process: str, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(
                self.log_path(process).read_text(errors="replace").splitlines()[-lines:]
            )
        return ""

    def logs_of(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.log_dir.glob("*.log"))
        )
