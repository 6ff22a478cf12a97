"""When a token names a key id (``kid``) we do not hold: whether to fetch the issuer's keys now.

Keys rotate, and a provider that restarts may sign with a new key: a ``kid`` never seen is
fetched at once, so the first token it signs is accepted. A ``kid`` already looked for in vain
waits for the next fetch after :data:`MISSED_KID_REFETCH_SECONDS`. Fetches for new ``kid``s are
bounded by a bucket (:data:`BURST`, refilled one per :data:`REFILL_SECONDS`), so a flood of
invented ``kid``s cannot turn every bogus token into a request to the issuer.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

MISSED_KID_REFETCH_SECONDS = 10.0
BURST = 3
REFILL_SECONDS = 2.0
REMEMBERED_MISSES = 256  # kids looked for in vain, oldest forgotten first


class RefetchGate:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens = float(BURST)
        self._updated = clock()
        self._last_fetch = float("-inf")
        self._missed: OrderedDict[str, None] = OrderedDict()

    def may_fetch_for(self, kid: str) -> bool:
        """Whether a fetch for ``kid`` may go now (it is counted if so)."""
        now = self._clock()
        if kid in self._missed and now - self._last_fetch < MISSED_KID_REFETCH_SECONDS:
            return False
        self._tokens = min(BURST, self._tokens + (now - self._updated) / REFILL_SECONDS)
        self._updated = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        self._last_fetch = now
        return True

    def fetched(self, kid: str, found: bool) -> None:
        """What the fetch made for ``kid`` gave."""
        if found:
            self._missed.pop(kid, None)
            return
        self._missed[kid] = None
        self._missed.move_to_end(kid)
        while len(self._missed) > REMEMBERED_MISSES:
            self._missed.popitem(last=False)
