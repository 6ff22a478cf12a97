"""Signing over HTTP with distinct citizens' tokens: a closed loop for the sustained maximum, an
open loop at a fixed offered rate for latency (measured from each request's scheduled time, so that
queuing is not hidden by coordinated omission), with count-visibility polling alongside."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import eventlet

from bench.http import Connections, Keepalive
from bench.stats import percentiles

Pair = tuple[str, str]  # (citizen's access token, petition id)


def spread(tokens: list[str], petitions: list[str]) -> Iterator[Pair]:
    """Every (citizen, petition) pair once, consecutive requests on different petitions."""
    for i in range(len(tokens) * len(petitions)):
        yield tokens[i // len(petitions)], petitions[i % len(petitions)]


def petition_major(tokens: list[str], petitions: list[str]) -> Iterator[Pair]:
    """Every pair once, one petition at a time (it gets every citizen before the next)."""
    for petition in petitions:
        for token in tokens:
            yield token, petition


class Signer:
    """Signature requests to the petitions service over lean keep-alive connections."""

    def __init__(self, petitions_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(petitions_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.netloc = parts.netloc
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout

    def connection(self) -> Keepalive:
        return Keepalive(self.host, self.port, self.timeout)

    def request(self, pair: Pair) -> bytes:
        token, petition_id = pair
        return (
            f"POST {self.prefix}/api/petitions/{petition_id}/signatures HTTP/1.1\r\n"
            f"Host: {self.netloc}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode("ascii")

    def sign(self, conn: Keepalive, pair: Pair) -> int:
        """The answer's status; 0 when the request failed (the connection is then dropped)."""
        try:
            return conn.exchange(self.request(pair))[0]
        except Exception:  # noqa: BLE001 - a failed request is counted as status 0
            conn.close()
            return 0


def closed_loop(
    petitions_url: str, pairs: Iterator[Pair], workers: int, warmup: float, duration: float
) -> dict[str, Any]:
    """``workers`` clients signing back to back; accepted signatures/s over ``duration`` after
    ``warmup`` (responses that complete within the measured window).

    When the pairs run out first, the rate is over the part of the window that had work to do
    (``pairs_exhausted`` says so): dividing by the whole window would report the plan's size, not
    the hub's speed."""
    start = time.perf_counter()
    measure_from = start + warmup
    end = measure_from + duration
    per_second: dict[int, int] = defaultdict(int)
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    exhausted = False
    last_done = measure_from
    accepted_total = 0

    signer = Signer(petitions_url)

    def worker() -> None:
        nonlocal exhausted, last_done, accepted_total
        conn = signer.connection()
        try:
            while time.perf_counter() < end:
                try:
                    pair = next(pairs)
                except StopIteration:
                    exhausted = True
                    return
                t0 = time.perf_counter()
                status = signer.sign(conn, pair)
                t1 = time.perf_counter()
                accepted_total += status == 201
                if measure_from <= t1 < end:
                    statuses[status] += 1
                    last_done = max(last_done, t1)
                    latencies.append(t1 - t0)
                    if status == 201:
                        per_second[int(t1 - measure_from)] += 1
        finally:
            conn.close()

    pool = eventlet.GreenPool(workers)
    for _ in range(workers):
        pool.spawn(worker)
    pool.waitall()
    measured = max(0.001, (last_done if exhausted else end) - measure_from)
    seconds = [per_second.get(s, 0) for s in range(max(1, int(measured)))]
    window = max(1, min(10, len(seconds) // 3))
    windows = [sum(seconds[i : i + window]) / window for i in range(0, len(seconds), window)]
    return {
        "signatures_per_second": statuses[201] / measured,
        "accepted": statuses[201],
        "accepted_including_warmup": accepted_total,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "workers": workers,
        "duration_s": duration,
        "measured_s": round(measured, 3),
        "per_second": seconds,
        "window_s": window,
        "lowest_window_per_second": min(windows) if windows else 0.0,
        "latency_ms": percentiles(latencies, (50, 95, 99), scale=1000),
        "pairs_exhausted": exhausted,
    }


class CountPoller:
    """GETs the count of the petitions being signed, every ``interval`` seconds."""

    def __init__(self, petitions_url: str, interval: float) -> None:
        self.petitions_url = petitions_url
        self.interval = interval
        self.current: str | None = None
        self.inflight: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.seen: dict[str, int] = {}
        self.observations: dict[str, list[tuple[float, int]]] = defaultdict(list)
        self.polls = 0
        self.errors = 0
        self._running = False

    def run(self) -> None:
        self._running = True
        conns = Connections(timeout=5.0)
        try:
            while self._running:
                due = time.perf_counter() + self.interval
                for petition_id in self._watched():
                    try:
                        response = conns.get(f"{self.petitions_url}/api/petitions/{petition_id}")
                    except Exception:  # noqa: BLE001 - a slow or failed poll: try again later
                        conns.close()
                        self.errors += 1
                        continue
                    done = time.perf_counter()
                    self.polls += 1
                    if response.status == 200:
                        count = int(response.json()["signature_count"])
                        self.seen[petition_id] = count
                        self.observations[petition_id].append((done, count))
                eventlet.sleep(max(0.0, due - time.perf_counter()))
        finally:
            conns.close()

    def stop(self) -> None:
        self._running = False

    def _watched(self) -> list[str]:
        watched = {p for p, n in self.inflight.items() if n > 0}
        watched |= {p for p, n in self.accepted.items() if self.seen.get(p, 0) < n}
        if self.current:
            watched.add(self.current)
        return sorted(watched)


def open_loop(
    petitions_url: str,
    pairs: Iterator[Pair],
    rate: float,
    duration: float,
    poller: CountPoller,
    timeout: float,
    max_inflight: int,
) -> dict[str, Any]:
    """Launch one signature every 1/rate s, each in its own green thread at its scheduled time;
    latency counts from the scheduled time. Arrivals while ``max_inflight`` requests are
    outstanding are not sent: they count as failed (status -1, "shed") with the timeout as
    latency. Returns figures and the accepted times by petition."""
    signer = Signer(petitions_url, timeout)
    idle: list[Keepalive] = []
    latencies: list[float] = []
    launch_delays: list[float] = []
    statuses: Counter[int] = Counter()
    accepted_at: dict[str, list[float]] = defaultdict(list)
    pool = eventlet.GreenPool(100_000)

    def one(scheduled: float, pair: Pair) -> None:
        launched = time.perf_counter()
        launch_delays.append(launched - scheduled)
        conn = idle.pop() if idle else signer.connection()
        poller.inflight[pair[1]] += 1
        status = signer.sign(conn, pair)
        done = time.perf_counter()
        poller.inflight[pair[1]] -= 1
        idle.append(conn)
        statuses[status] += 1
        latencies.append(done - scheduled)
        if status == 201:
            poller.accepted[pair[1]] += 1
            accepted_at[pair[1]].append(done)

    poller_thread = eventlet.spawn(poller.run)
    total = int(rate * duration)
    start = time.perf_counter() + 0.05
    exhausted = False
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            eventlet.sleep(delay)
        try:
            pair = next(pairs)
        except StopIteration:
            exhausted = True
            break
        poller.current = pair[1]
        if sum(poller.inflight.values()) >= max_inflight:
            # The hub has fallen far behind: count the arrival as failed at the timeout rather
            # than bury the hub under a backlog that would weigh on every later phase.
            statuses[-1] += 1
            latencies.append(timeout)
            continue
        pool.spawn_n(one, scheduled, pair)
    pool.waitall()
    elapsed = time.perf_counter() - start
    poller.current = None
    for conn in idle:
        conn.close()
    return {
        "offered_per_second": rate,
        "achieved_offered_per_second": sum(statuses.values()) / elapsed if elapsed else 0.0,
        "duration_s": duration,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "accepted": statuses[201],
        "latency_ms": percentiles(latencies, (50, 95, 99, 99.9), scale=1000),
        "launch_delay_ms": percentiles(launch_delays, (50, 99), scale=1000),
        "pairs_exhausted": exhausted,
        "_accepted_at": accepted_at,
        "_poller": poller_thread,
    }


def lags(
    accepted_at: dict[str, list[float]],
    observed: dict[str, list[tuple[float, int]]],
    horizon: float,
) -> tuple[list[float], int]:
    """For each petition, the k-th accepted signature (by response time) is seen at the first
    observation whose count is >= k; its lag is that time minus its acceptance (floored at 0).
    A signature no observation covered by ``horizon`` (when watching stopped) counts with the
    lower bound ``horizon - accepted`` (censored), so that percentiles do not flatter.
    Returns the lags and how many were censored."""
    found: list[float] = []
    missing = 0
    for petition_id, times in accepted_at.items():
        times = sorted(times)
        obs = sorted(observed.get(petition_id, []))
        best, running = [], 0
        for at, count in obs:
            running = max(running, count)
            best.append((at, running))
        j = 0
        for k, t_k in enumerate(times, 1):
            while j < len(best) and best[j][1] < k:
                j += 1
            if j == len(best):
                missing += len(times) - k + 1
                found.extend(max(0.0, horizon - t) for t in times[k - 1 :])
                break
            found.append(max(0.0, best[j][0] - t_k))
    return found, missing
