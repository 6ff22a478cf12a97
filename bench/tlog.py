"""The transparency log under load: how fast it integrates leaves, how soon a signer's proof is
ready, and how long a public recount takes (``hub-verify recount``, the journalist's command)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import eventlet

from bench.http import Connections
from bench.load import Pair, Signer
from bench.stats import percentiles


def tree_size(tlog_url: str, conns: Connections) -> int:
    """The size of the latest published checkpoint (its second line)."""
    response = conns.get(f"{tlog_url}/checkpoint")
    if response.status != 200:
        return 0
    return int(response.body.split(b"\n")[1])


class SizeWatcher:
    """Polls the published tree size; the integration rate is read off its growth."""

    def __init__(self, tlog_url: str, interval: float = 0.25) -> None:
        self.tlog_url = tlog_url
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._running = False
        self._thread: Any = None

    def start(self) -> None:
        self._running = True
        self._thread = eventlet.spawn(self._run)

    def _run(self) -> None:
        conns = Connections(timeout=5.0)
        try:
            while self._running:
                try:
                    self.samples.append((time.perf_counter(), tree_size(self.tlog_url, conns)))
                except Exception:  # noqa: BLE001 - a failed poll: the next one counts
                    conns.close()
                eventlet.sleep(self.interval)
        finally:
            conns.close()

    def wait_for(self, size: int, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.samples and self.samples[-1][1] >= size:
                return True
            eventlet.sleep(self.interval)
        return False

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.wait()

    def rate(self, since_size: int) -> dict[str, Any]:
        """Leaves per second from the first growth past ``since_size`` to the last growth."""
        grown = [(t, s) for t, s in self.samples if s > since_size]
        if len(grown) < 2:
            return {"leaves": 0, "seconds": 0.0, "per_second": None}
        last = max(grown, key=lambda sample: sample[1])
        first = grown[0]
        seconds = last[0] - first[0]
        leaves = last[1] - first[1]
        return {
            "leaves": leaves,
            "seconds": round(seconds, 2),
            "per_second": round(leaves / seconds, 1) if seconds > 0 else None,
        }


def proof_lag(
    petitions_url: str,
    tlog_url: str,
    pairs: Iterator[Pair],
    rate: float,
    duration: float,
    timeout: float = 30.0,
    sample_every: int = 4,
) -> dict[str, Any]:
    """Sign at ``rate``/s for ``duration`` s; for every ``sample_every``-th accepted signature,
    the time from its 201 to the first 200 of its receipt proof (the hub makes ``s``)."""
    signer = Signer(petitions_url, timeout)
    idle: list[Any] = []
    pending: dict[str, float] = {}  # commitment -> accepted at
    lags: list[float] = []
    statuses: dict[int, int] = {}
    accepted = 0
    pool = eventlet.GreenPool(10_000)

    def one(pair: Pair) -> None:
        nonlocal accepted
        conn = idle.pop() if idle else signer.connection()
        try:
            status, body = conn.exchange(signer.request(pair))
        except Exception:  # noqa: BLE001 - a failed request counts as status 0
            conn.close()
            statuses[0] = statuses.get(0, 0) + 1
            return
        idle.append(conn)
        statuses[status] = statuses.get(status, 0) + 1
        if status == 201:
            accepted += 1
            if accepted % sample_every == 0:
                pending[json.loads(body)["receipt"]["commitment"]] = time.perf_counter()

    running = True

    def poll() -> None:
        conns = Connections(timeout=5.0)
        try:
            while running or pending:
                for commitment, at in list(pending.items()):
                    try:
                        response = conns.get(f"{tlog_url}/api/v1/receipts/{commitment}")
                    except Exception:  # noqa: BLE001 - try again on the next round
                        conns.close()
                        continue
                    if response.status == 200:
                        lags.append(time.perf_counter() - at)
                        del pending[commitment]
                    elif time.perf_counter() - at > timeout:
                        del pending[commitment]  # censored: counted apart
                        lags.append(float("inf"))
                eventlet.sleep(0.05)
        finally:
            conns.close()

    poller = eventlet.spawn(poll)
    start = time.perf_counter()
    for i in range(int(rate * duration)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            eventlet.sleep(delay)
        try:
            pair = next(pairs)
        except StopIteration:
            break
        pool.spawn_n(one, pair)
    pool.waitall()
    running = False
    poller.wait()
    for conn in idle:
        conn.close()
    finite = [lag for lag in lags if lag != float("inf")]
    return {
        "offered_per_second": rate,
        "duration_s": duration,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "sampled": len(lags),
        "censored": len(lags) - len(finite),
        "lag_ms": percentiles(finite, (50, 99), scale=1000),
    }


def recount(tlog_url: str, petitions_url: str, petition_id: str, leaves: int) -> dict[str, Any]:
    """``hub-verify recount`` of one petition, timed; seconds per million leaves scanned."""
    started = time.perf_counter()
    command = str(Path(sys.executable).parent / "hub-verify")
    done = subprocess.run(  # noqa: S603 - our own command
        [
            command,
            "recount",
            "--log",
            tlog_url,
            "--api",
            petitions_url,
            "--json",
            petition_id,
        ],
        capture_output=True,
        timeout=3600,
        check=False,
    )
    seconds = time.perf_counter() - started
    try:
        result = json.loads(done.stdout)
    except ValueError:
        result = {"stdout": done.stdout[-500:].decode(errors="replace")}
    return {
        "exit_code": done.returncode,
        "seconds": round(seconds, 2),
        "leaves": leaves,
        "seconds_per_million": round(seconds / leaves * 1e6, 1) if leaves else None,
        "count": result.get("count"),
        "anomalies": len(result.get("anomalies") or []),
        "stderr": done.stderr[-300:].decode(errors="replace"),
    }


def storage(database_url: str, leaves: int) -> dict[str, Any]:
    """The log database's size on disk, whole and per leaf (the capacity model's input)."""
    import psycopg2

    from bench.infra import plain_url

    with psycopg2.connect(plain_url(database_url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        (total,) = cur.fetchone()
        cur.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class"
            " WHERE relname IN ('log_entries', 'log_hashes', 'log_signs') ORDER BY relname"
        )
        tables = dict(cur.fetchall())
    return {
        "database_bytes": total,
        "tables_bytes": tables,
        "leaves": leaves,
        "bytes_per_leaf": round(sum(tables.values()) / leaves, 1) if leaves else None,
    }
