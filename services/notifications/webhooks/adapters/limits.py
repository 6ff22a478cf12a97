"""Fair sharing of the delivery pool: a per-subscription cap on sends in flight, and a
per-subscription rate limit (the hub's token bucket, shared.ratelimit), so one busy or slow
endpoint never takes the slots every other agency's deliveries need.

A subscription may always have ``max_in_flight`` sends in flight. It may have more only while
more than ``max_in_flight`` of the pool's slots stay free: an agency that alone has work (a
backlog after an outage, hundreds of petitions followed) can use most of the pool, up to its
declared rate limit, and a reserve is still there for any other agency's next delivery.

NOTE: the counts live in each process: with N replicas an endpoint may receive up to N times the
limit. Good enough to protect the hub's pool; an exact cluster-wide limit would need a shared
counter (the database or the broker) on every send.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from services.notifications.webhooks.domain import DEFAULT_RATE_PER_SECOND
from shared.ratelimit import TokenBucket

POOL_SIZE = 50  # sends in flight per process
# NOTE: a fixed cap alone bounded a busy agency at this many sends per round trip whatever its
# rate limit said, and left a backlog due while most of the pool stood idle (docs/capacity.md).
MAX_IN_FLIGHT_PER_SUBSCRIPTION = 10


class SubscriptionLimits:
    """Which subscriptions may start another send now, and the bookkeeping of sends in flight."""

    def __init__(
        self,
        pool_size: int = POOL_SIZE,
        max_in_flight: int = MAX_IN_FLIGHT_PER_SUBSCRIPTION,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pool_size = pool_size
        self.max_in_flight = max_in_flight
        self.clock = clock
        self.in_flight: dict[str, int] = {}
        self.total_in_flight = 0
        self.buckets: dict[str, TokenBucket] = {}  # rate: the subscription's sends a second

    def _at_cap(self, in_flight: int) -> bool:
        if in_flight < self.max_in_flight:
            return False
        return self.pool_size - self.total_in_flight <= self.max_in_flight

    def blocked(self) -> list[str]:
        """Subscriptions that cannot start a send now (to leave out of the next claim)."""
        now = self.clock()
        self._forget_idle(now)
        full = [s for s, n in self.in_flight.items() if self._at_cap(n)]
        empty = [s for s, b in self.buckets.items() if b.refill(now) < 1]
        return sorted(set(full) | set(empty))

    def admit(self, subscription_id: str, rate: int | None) -> bool:
        """Reserve a slot and a token for one send, if the subscription has both."""
        if self._at_cap(self.in_flight.get(subscription_id, 0)):
            return False
        now = self.clock()
        if not self._bucket(subscription_id, rate, now).take(now):
            return False
        self.in_flight[subscription_id] = self.in_flight.get(subscription_id, 0) + 1
        self.total_in_flight += 1
        return True

    def release(self, subscription_id: str) -> None:
        held = self.in_flight.get(subscription_id, 0)
        if held == 0:
            return
        self.total_in_flight -= 1
        if held > 1:
            self.in_flight[subscription_id] = held - 1
        else:
            del self.in_flight[subscription_id]

    def _bucket(self, subscription_id: str, rate: int | None, now: float) -> TokenBucket:
        """The subscription's bucket: ``rate`` sends a second, in bursts of at most ``rate``."""
        wanted = float(rate or DEFAULT_RATE_PER_SECOND)
        bucket = self.buckets.get(subscription_id)
        if bucket is None or bucket.rate != wanted:
            bucket = self.buckets[subscription_id] = TokenBucket.full(wanted, wanted, now)
        return bucket

    def _forget_idle(self, now: float) -> None:
        """A full bucket with nothing in flight is as good as none: forget it."""
        idle = [
            s
            for s, b in self.buckets.items()
            if s not in self.in_flight and b.refill(now) >= b.capacity
        ]
        for subscription_id in idle:
            del self.buckets[subscription_id]
