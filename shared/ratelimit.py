"""Rate limits by client and by address: token buckets kept in each process.

NOTE: the buckets live in each replica's memory, so with N replicas a key gets up to N times its
limit. That stops guessing and flooding at the edge cheaply, with no shared store on the hot path;
a cluster-wide limit belongs in the ingress.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request

from shared.web import HttpError

MAX_KEYS = 100_000  # oldest buckets are forgotten beyond this (bounded memory under attack)


@dataclass
class TokenBucket:
    """At most ``capacity`` tokens, refilled at ``rate`` tokens a second; each request takes one
    (or its ``cost``). The one token bucket of the hub: :class:`RateLimiter` keeps one per key,
    notifications one per webhook subscription. The caller's clock gives ``now``."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, capacity: float, rate: float, now: float) -> TokenBucket:
        return cls(capacity, rate, capacity, now)

    def refill(self, now: float) -> float:
        """The tokens there are at ``now``."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return self.tokens

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens if there are that many at ``now``."""
        if self.refill(now) < cost:
            return False
        self.tokens -= cost
        return True

    def seconds_until(self, cost: float = 1.0) -> int:
        """Whole seconds (at least 1) until ``cost`` tokens are there, as of the last refill."""
        return max(1, math.ceil((cost - self.tokens) / self.rate))


class RateLimiter:
    """``per_minute`` requests a minute per key, in bursts of up to ``per_minute``; 0 = no limit."""

    def __init__(self, per_minute: int, clock: Any = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def retry_after(self, key: str, cost: float = 1.0) -> int | None:
        """Take ``cost`` from the key's bucket; None if allowed, else seconds until it would be."""
        if self.capacity <= 0:
            return None
        now = self._clock()
        bucket = self._bucket(key, now)
        return None if bucket.take(now, cost) else bucket.seconds_until(cost)

    def exhausted(self, key: str) -> int | None:
        """Like :meth:`retry_after` but takes nothing (for limits on failures only)."""
        if self.capacity <= 0:
            return None
        now = self._clock()
        bucket = self._bucket(key, now)
        return None if bucket.refill(now) >= 1 else bucket.seconds_until(1)

    def _bucket(self, key: str, now: float) -> TokenBucket:
        """The key's bucket, now the most recently used (a new key's starts full)."""
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = TokenBucket.full(self.capacity, self.rate, now)
        self._buckets[key] = bucket
        if len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        return bucket


def too_many(retry_after: int) -> HttpError:
    return HttpError(
        429,
        "rate_limited",
        f"too many requests; try again in {retry_after} s",
        {"Retry-After": str(retry_after)},
    )


def client_address(request: Request, trusted_proxy_hops: int) -> str:
    """The caller's address: the peer, or what the trusted proxies in front of us saw.

    With ``trusted_proxy_hops`` = N, the N-th address from the right of X-Forwarded-For is the one
    our own outermost proxy received the request from; anything left of it is the client's claim.
    """
    if trusted_proxy_hops > 0:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= trusted_proxy_hops:
            return forwarded[-trusted_proxy_hops]
    return request.remote_addr or "unknown"


class RateLimits(DependencyProvider):
    """The service's limiters by name, sized from the settings (``HUB_RATE_LIMIT_*``)."""

    def setup(self) -> None:
        settings = self.container.config["HUB_SETTINGS"]
        self.hops = settings.trusted_proxy_hops
        self.limiters = {name: RateLimiter(n) for name, n in settings.rate_limits.items()}

    def get_dependency(self, worker_ctx: Any) -> RateLimits:
        return self

    def check(self, name: str, key: str) -> None:
        """Count one request against ``name`` for ``key``; raise 429 if over the limit."""
        wait = self.limiters[name].retry_after(key)
        if wait is not None:
            raise too_many(wait)

    def exhausted(self, name: str, key: str) -> int | None:
        """Seconds until ``key`` has an allowance of failures again; None if it has one now."""
        return self.limiters[name].exhausted(key)

    def failed(self, name: str, key: str) -> None:
        self.limiters[name].retry_after(key)

    def address(self, request: Request) -> str:
        return client_address(request, self.hops)
