"""Background loops that poll, can be woken at once, and outlive database or broker blips.

The outbox relay, the webhook delivery loop and the mail loop all work the same way: do a step;
if it left more to do, go again; otherwise sleep until the poll interval passes or someone
(a commit that wrote work for it) wakes the loop. A failing step is logged and retried with a
capped exponential back-off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import eventlet
from eventlet.event import Event

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0


class Waker:
    """Sleep until a timeout or a ``wake()``, whichever comes first (green-thread safe)."""

    def __init__(self) -> None:
        self._event = Event()

    def wake(self) -> None:
        if not self._event.ready():
            self._event.send(True)

    def sleep(self, seconds: float) -> None:
        with eventlet.Timeout(seconds, False):
            self._event.wait()
        if self._event.ready():
            self._event = Event()


def run_loop(
    name: str,
    step: Callable[[], bool],
    should_stop: Callable[[], bool],
    waker: Waker,
    poll_seconds: float,
) -> None:
    """Run ``step`` (True: more work is waiting) until ``should_stop``."""
    failures = 0
    while not should_stop():
        try:
            more = step()
            failures = 0
        except Exception:  # noqa: BLE001 - the loop must outlive database and broker blips
            failures += 1
            log.exception("%s failed (attempt %d); retrying", name, failures)
            eventlet.sleep(min(MAX_BACKOFF_SECONDS, 0.2 * 2**failures))
            continue
        if not more:
            waker.sleep(poll_seconds)
