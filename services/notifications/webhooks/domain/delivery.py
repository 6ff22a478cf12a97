"""The rules of webhook delivery, in plain Python: secrets and signatures (Standard Webhooks v1),
the CloudEvent agencies receive, the retry schedule (Svix's), and what an attempt's outcome
means for its delivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.notifications.webhooks.domain.catalogue import (
    CLOUDEVENT_SOURCE,
    CLOUDEVENT_TYPE_PREFIX,
)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32
CLOUDEVENTS_MEDIA_TYPE = "application/cloudevents+json"
# Svix's schedule: the first attempt at once, then these delays after each failure.
RETRY_DELAYS_SECONDS = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS_SECONDS)
JITTER = 0.1  # +-10 %, so endpoints that failed together are not retried in one burst
MAX_RETRY_AFTER_SECONDS = 10 * 3600
# Answers that mean "you are sending too fast" or "I am overloaded": the whole endpoint waits.
THROTTLE_STATUSES = frozenset((429, 502, 503, 504))
MIN_THROTTLE_SECONDS = 5.0

# Delivery statuses, and the outcomes of one attempt.
PENDING, SUCCEEDED, FAILED, CANCELLED = "pending", "succeeded", "failed", "cancelled"
SUCCESS, HTTP_ERROR, TIMEOUT, CONNECTION_ERROR, BLOCKED_TARGET = (
    "success",
    "http_error",
    "timeout",
    "connection_error",
    "blocked_target",
)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """Standard Webhooks v1: base64 HMAC-SHA256 of ``id.timestamp.body``, keyed by the secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: list[str], message_id: str, timestamp: int, body: str) -> str:
    """Standard Webhooks: space-separated signatures, one per secret valid now (rotation)."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets)


def signing_secrets(
    current: str, previous: str | None, previous_expires_at: datetime | None, now: datetime
) -> list[str]:
    """The current secret, and the previous one during the 24 h after a rotation."""
    if previous and previous_expires_at is not None and previous_expires_at > now:
        return [current, previous]
    return [current]


def cloud_event(
    message_id: str, event_type: str, time: str, subject: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """CloudEvents 1.0 structured mode; ``source`` + ``id`` is the agency's deduplication key."""
    return {
        "specversion": "1.0",
        "id": message_id,
        "source": CLOUDEVENT_SOURCE,
        "type": CLOUDEVENT_TYPE_PREFIX + event_type,
        "time": time,
        "subject": subject,
        "datacontenttype": "application/json",
        "data": dict(data),
    }


def serialize(event: Mapping[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class AttemptResult:
    outcome: str
    duration_ms: int
    status_code: int | None = None
    excerpt: str = ""
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome == SUCCESS


@dataclass(frozen=True)
class Decision:
    """What one attempt means for its delivery."""

    status: str
    retry_in: float | None = None  # seconds, when status is PENDING
    disable_subscription: bool = False
    throttle_for: float | None = None  # seconds the whole subscription waits
    exhausted: bool = False  # every attempt of the schedule failed


def outcome_of(status_code: int) -> str:
    # NOTE: 3xx is a failure: redirects are not followed (they would bypass the target checks).
    return SUCCESS if 200 <= status_code < 300 else HTTP_ERROR


def retry_delay(attempts_made: int, rng: random.Random | None = None) -> float | None:
    """Seconds before the next attempt after ``attempts_made`` failures; None when none is left."""
    if attempts_made < 1 or attempts_made >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS_SECONDS[attempts_made - 1]
    return base * (1 + (rng or random).uniform(-JITTER, JITTER))


def decide(attempts_made: int, result: AttemptResult, rng: random.Random | None = None) -> Decision:
    if result.succeeded:
        return Decision(SUCCEEDED)
    if result.status_code == 410:  # Gone: the agency asks us to stop
        return Decision(FAILED, disable_subscription=True)
    delay = retry_delay(attempts_made, rng)
    throttle = throttle_seconds(result, delay)
    if delay is None:
        return Decision(FAILED, throttle_for=throttle, exhausted=True)
    if throttle is not None:
        delay = max(delay, throttle)
    return Decision(PENDING, retry_in=delay, throttle_for=throttle)


def throttle_seconds(result: AttemptResult, scheduled: float | None) -> float | None:
    """How long the endpoint asked us to hold off (Retry-After), or the schedule's next step."""
    if result.status_code not in THROTTLE_STATUSES:
        return None
    wanted = result.retry_after if result.retry_after is not None else scheduled
    return min(max(wanted or 0.0, MIN_THROTTLE_SECONDS), MAX_RETRY_AFTER_SECONDS)
