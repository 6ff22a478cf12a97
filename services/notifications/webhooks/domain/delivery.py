"""The rules of webhook delivery, in plain Python: secrets and signatures (Standard Webhooks v1),
the CloudEvent agencies receive, the retry schedule (Svix's), what an attempt's outcome means for
its delivery, and which URLs and network addresses a subscription may target."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from services.notifications.web.errors import InsufficientScope, InvalidRequest
from services.notifications.webhooks.domain.catalogue import (
    CLOUDEVENT_SOURCE,
    CLOUDEVENT_TYPE_PREFIX,
)
from shared.scopes import EVENTS_SUBSCRIBE, PETITIONS_MODERATE, has_scope

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32
CLOUDEVENTS_MEDIA_TYPE = "application/cloudevents+json"
# Svix's schedule: the first attempt at once, then these delays after each failure.
RETRY_DELAYS_SECONDS = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS_SECONDS)
JITTER = 0.1  # +-10 %, so endpoints that failed together are not retried in one burst
MAX_RETRY_AFTER_SECONDS = 10 * 3600
MAX_URL_LENGTH = 2048
# Svix: an endpoint failing for 5 days is disabled; a rotated secret still signs for 24 h.
FAILURE_WINDOW = timedelta(days=5)
ROTATION_OVERLAP = timedelta(hours=24)
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
# Subscription statuses: paused holds deliveries (sent on resume); disabled stops queuing them.
ACTIVE, PAUSED, DISABLED, DELETED = "active", "paused", "disabled", "deleted"


def agency_of(claims: Mapping[str, Any]) -> str:
    """The agency acting: the OAuth client of a client-credentials token."""
    if not has_scope(dict(claims), EVENTS_SUBSCRIBE):
        raise InsufficientScope(EVENTS_SUBSCRIBE)
    return str(claims.get("client_id") or claims["sub"])


def operator_of(claims: Mapping[str, Any]) -> str:
    """An operator acting: today the moderation scope is the hub's operator scope."""
    if not has_scope(dict(claims), PETITIONS_MODERATE):
        raise InsufficientScope(PETITIONS_MODERATE)
    return str(claims.get("client_id") or claims["sub"])


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


def failing_too_long(failing_since: datetime | None, now: datetime) -> bool:
    return failing_since is not None and now - failing_since >= FAILURE_WINDOW


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


def wants(event_types: list[str] | None, event_type: str) -> bool:
    """A subscription's filter: ``None`` means every event type."""
    return event_types is None or event_type in event_types


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


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int


def parse_target(url: Any, require_https: bool) -> Target:
    """A webhook URL we can call: http(s), a host, no credentials (https only in production)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise InvalidRequest(
            f"url must be a string of at most {MAX_URL_LENGTH} characters", "invalid_url"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidRequest("url is not a valid URL", "invalid_url") from None
    allowed = ("https",) if require_https else ("http", "https")
    if parts.scheme not in allowed:
        raise InvalidRequest(f"url must use {' or '.join(allowed)}", "invalid_url")
    if not parts.hostname:
        raise InvalidRequest("url must name a host", "invalid_url")
    if parts.username or parts.password:
        raise InvalidRequest("url must not carry credentials", "invalid_url")
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80))


# IPv6 forms that carry an IPv4 address a translator on the path may reach: what decides is the
# IPv4 address inside. NAT64's well-known prefix (RFC 6052), IPv4-compatible (RFC 4291 2.5.5.1,
# deprecated) and IPv4-translated (RFC 2765) put it in the last 32 bits; ::ffff:0:0/96 (mapped),
# 6to4 (RFC 3056) and Teredo (RFC 4380) are unwrapped by ipaddress.
IPV4_IN_LAST_32_BITS = tuple(
    ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96")
)
# Refused whatever they hold: local-use NAT64 (RFC 8215) embeds IPv4 where its operator chooses;
# site-local (deprecated, still routed in some networks).
FORBIDDEN_IPV6 = tuple(ipaddress.IPv6Network(n) for n in ("64:ff9b:1::/48", "fec0::/10"))
GLOBAL_UNICAST_IPV6 = ipaddress.IPv6Network("2000::/3")


def is_forbidden_address(address: str) -> bool:
    """Loopback, private, link-local (cloud metadata), CGNAT, multicast, reserved: not public;
    an IPv6 address that embeds such an IPv4 address too, and IPv6 outside global unicast."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded:
            return any(_forbidden_ipv4(v4) for v4 in embedded)
        if ip not in GLOBAL_UNICAST_IPV6 or any(ip in net for net in FORBIDDEN_IPV6):
            return True
    return not ip.is_global or ip.is_multicast


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo  # the server and the (obfuscated) client: both must be public
    if any(ip in net for net in IPV4_IN_LAST_32_BITS):
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    return ()


def _forbidden_ipv4(ip: ipaddress.IPv4Address) -> bool:
    return not ip.is_global or ip.is_multicast
