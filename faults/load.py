"""A signing load that keeps, for every (citizen, petition) pair, what each attempt got back.

An attempt's outcome is one of:
- ``ok``: 201 with a receipt (the hub promised the signature is stored);
- ``already``: 409 ``already_signed``;
- ``error``: any other HTTP answer (the hub said it did *not* sign);
- ``refused``: the connection was refused (nothing reached the hub: certainly not stored);
- ``ambiguous``: the request may have reached the hub but no answer came back (the process
  died, a timeout): the signature may or may not be stored.

After the faults, :meth:`SigningLoad.resolve` retries every pair without a definite answer until
it gets 201 or 409, as a citizen pressing the button again would. What the invariants allow:
an ``already`` may only follow an ``ambiguous`` (never an ``error``, never come first).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests

from faults.actors import bearer

DEFINITE = ("ok", "already")


@dataclass(frozen=True)
class Attempt:
    kind: str
    status: int | None = None
    code: str | None = None
    signature_id: str | None = None
    commitment: str | None = None  # the receipt's, hex: the log must hold it
    at: float = 0.0


@dataclass
class Pair:
    citizen: int
    petition_id: str
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def resolved(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].kind in DEFINITE

    @property
    def acknowledged(self) -> Attempt | None:
        return next((a for a in self.attempts if a.kind == "ok"), None)

    @property
    def stored_expected(self) -> bool:
        return any(a.kind in DEFINITE for a in self.attempts)


class SigningLoad:
    def __init__(
        self,
        petitions_url: str,
        tokens: list[str],
        pairs: list[Pair],
        workers: int = 4,
        rate_per_second: float = 10.0,
    ) -> None:
        self.petitions_url = petitions_url
        self.tokens = tokens
        self.pairs = pairs
        self.workers = workers
        self.interval = 1.0 / rate_per_second
        self._todo: queue.Queue[Pair] = queue.Queue()
        for pair in pairs:
            self._todo.put(pair)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pace_lock = threading.Lock()
        self._next_at = 0.0

    def sign(self, pair: Pair, timeout: float = 15.0) -> Attempt:
        url = f"{self.petitions_url}/api/petitions/{pair.petition_id}/signatures"
        try:
            response = requests.post(
                url, headers=bearer(self.tokens[pair.citizen]), timeout=timeout
            )
        except requests.ConnectionError as exc:
            refused = "refused" in str(exc).lower() or "NewConnectionError" in str(exc)
            attempt = Attempt("refused" if refused else "ambiguous", at=time.monotonic())
        except requests.Timeout:
            attempt = Attempt("ambiguous", at=time.monotonic())
        else:
            attempt = _from_response(response)
        pair.attempts.append(attempt)
        return attempt

    # -- the load, in background threads ---------------------------------------------------

    def start(self) -> None:
        for _ in range(self.workers):
            thread = threading.Thread(target=self._work, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _pace(self) -> None:
        with self._pace_lock:
            now = time.monotonic()
            wait = self._next_at - now
            self._next_at = max(now, self._next_at) + self.interval
        if wait > 0:
            time.sleep(wait)

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                pair = self._todo.get_nowait()
            except queue.Empty:
                return
            self._pace()
            self.sign(pair)

    # -- after the faults ------------------------------------------------------------------

    def attempted(self) -> list[Pair]:
        return [p for p in self.pairs if p.attempts]

    def resolve(self, timeout: float = 60.0) -> list[Pair]:
        """Retry each attempted pair without a definite answer; the ones still unresolved."""
        deadline = time.monotonic() + timeout
        pending = [p for p in self.attempted() if not p.resolved]
        while pending and time.monotonic() < deadline:
            for pair in pending:
                self.sign(pair)
            pending = [p for p in pending if not p.resolved]
            if pending:
                time.sleep(1.0)
        return pending

    def figures(self) -> dict[str, Any]:
        attempts = [a for p in self.pairs for a in p.attempts]
        kinds = Counter(a.kind for a in attempts)
        attempted = self.attempted()
        return {
            "pairs_attempted": len(attempted),
            "requests": len(attempts),
            "acknowledged_201": kinds["ok"],
            "already_signed_409": kinds["already"],
            "http_errors": kinds["error"],
            "refused": kinds["refused"],
            "no_response": kinds["ambiguous"],
            "errors_by_status": dict(
                Counter(f"{a.status} {a.code}" for a in attempts if a.kind == "error")
            ),
            "stored_late": sum(
                1 for p in attempted if p.acknowledged is None and p.stored_expected
            ),
            "expected_stored": sum(1 for p in attempted if p.stored_expected),
        }


def _from_response(response: requests.Response) -> Attempt:
    now = time.monotonic()
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 201:
        receipt = body["receipt"]
        signature_id, commitment = receipt["signature_id"], receipt["commitment"]
        return Attempt("ok", 201, signature_id=signature_id, commitment=commitment, at=now)
    if response.status_code == 409 and body.get("error") == "already_signed":
        return Attempt("already", 409, "already_signed", at=now)
    return Attempt("error", response.status_code, body.get("error"), at=now)


def violations(pairs: list[Pair]) -> list[str]:
    """What the answers alone prove wrong: an 'already signed' that no earlier attempt explains."""
    found = []
    for pair in pairs:
        for i, attempt in enumerate(pair.attempts):
            if attempt.kind != "already":
                continue
            before = pair.attempts[:i]
            if not any(a.kind in ("ambiguous", "ok") for a in before):
                kinds = [a.kind for a in pair.attempts]
                found.append(
                    f"citizen {pair.citizen} on {pair.petition_id}: 409 already_signed after "
                    f"{kinds[:i]} (an attempt that got an error, or none, stored a signature)"
                )
        oks = [a for a in pair.attempts if a.kind == "ok"]
        if len(oks) > 1:
            found.append(f"citizen {pair.citizen} on {pair.petition_id}: two 201s")
    return found
