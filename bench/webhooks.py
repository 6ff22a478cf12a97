"""The agency's endpoint on loopback, seen from the bench: it runs in its own process
(:mod:`bench.webhook_endpoint`) and reports each delivery on a pipe, read here by a green
thread that keeps each count event's arrival time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import eventlet

from bench.webhook_endpoint import SECRET_VARIABLE
from shared.testing import free_port

ROOT = Path(__file__).resolve().parent.parent


class WebhookReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        # (arrival perf_counter, petition id, signature_count) of each count event
        self.counts: list[tuple[float, str, int]] = []
        self.received = 0
        self.rejected: list[str] = []
        self._process: subprocess.Popen[str] | None = None
        self._reader: Any = None

    def start(self, secret: str) -> WebhookReceiver:
        """Start the endpoint (the subscription's ``secret`` verifies what arrives)."""
        env = {**os.environ, SECRET_VARIABLE: secret}
        self._process = process = subprocess.Popen(  # noqa: S603 - our module, fixed arguments
            [sys.executable, "-m", "bench.webhook_endpoint", str(self.port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        if first != "ready":
            self.stop()
            raise RuntimeError(f"the webhook endpoint did not start: {first!r}")
        self._reader = eventlet.spawn(self._read, process.stdout)
        return self

    def _read(self, lines: Any) -> None:
        for line in lines:
            kind, _, rest = line.rstrip("\n").partition(" ")
            if kind == "rejected":
                self.rejected.append(rest)
                continue
            self.received += 1
            if kind == "count":
                arrived, petition_id, count = rest.split(" ")
                self.counts.append((float(arrived), petition_id, int(count)))

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._reader is not None:
            self._reader.kill()
            self._reader = None

    def highest(self, petition_id: str) -> int:
        return max((c for _, p, c in self.counts if p == petition_id), default=0)
