"""The hub's one token bucket, as the edge's rate limits (per key, a minute's allowance) and the
webhook delivery limits (per subscription, a second's) use it."""

from __future__ import annotations

from services.notifications.webhooks.adapters.limits import SubscriptionLimits
from shared.ratelimit import RateLimiter, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_minute_in_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock)
    assert all(limiter.retry_after("a") is None for _ in range(60))
    assert limiter.retry_after("a") == 1
    assert limiter.retry_after("b") is None  # keys are counted apart
    clock.now = 1.0
    assert limiter.retry_after("a") is None and limiter.retry_after("a") == 1


def test_retry_after_says_when_the_cost_is_there_again() -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock)  # one every 10 s
    assert all(limiter.retry_after("a") is None for _ in range(6))
    assert limiter.retry_after("a") == 10
    assert limiter.retry_after("a", cost=3) == 30


def test_exhausted_looks_without_taking() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock)
    assert limiter.exhausted("a") is None and limiter.exhausted("a") is None
    limiter.retry_after("a")
    limiter.retry_after("a")
    assert limiter.exhausted("a") == 30


def test_zero_is_no_limit() -> None:
    limiter = RateLimiter(0, Clock())
    assert all(limiter.retry_after("a") is None for _ in range(1000))


def test_a_bucket_refills_at_its_rate_up_to_its_capacity() -> None:
    bucket = TokenBucket.full(capacity=2, rate=2, now=0.0)
    assert bucket.take(0.0) and bucket.take(0.0) and not bucket.take(0.0)
    assert bucket.seconds_until() == 1
    assert bucket.take(0.5) and not bucket.take(0.5)
    assert bucket.refill(100.0) == 2


def test_webhook_subscriptions_are_limited_by_the_same_bucket() -> None:
    """One token bucket in the hub: the delivery limits keep one per subscription."""
    limits = SubscriptionLimits(clock=Clock())
    assert limits.admit("s", 5)
    assert isinstance(limits.buckets["s"], TokenBucket)
    assert (limits.buckets["s"].capacity, limits.buckets["s"].rate) == (5, 5)
