"""Sending one webhook: the HTTP POST, its limits, and the SSRF defence at connection time.

NOTE: the target's addresses are checked on the very connection we open (a urllib3 connection
class that resolves, checks every address, then connects to a checked one), not in a separate
look-up beforehand, so DNS rebinding between "check" and "connect" cannot slip through. TLS still
verifies the certificate against the URL's host name.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import certifi
import eventlet
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from services.notifications.webhooks.adapters.limits import POOL_SIZE
from services.notifications.webhooks.domain import (
    BLOCKED_TARGET,
    CLOUDEVENTS_MEDIA_TYPE,
    CONNECTION_ERROR,
    TIMEOUT,
    AttemptResult,
    ForbiddenTarget,
    Target,
    is_forbidden_address,
    outcome_of,
    signature_header,
)

TIMEOUT_SECONDS = 15.0  # Standard Webhooks / Svix: a 2xx within 15 s is a success
MAX_RESPONSE_READ_BYTES = 64 * 1024
EXCERPT_BYTES = 1024
USER_AGENT = "participation-hub-webhooks/1"


class BlockedTarget(OSError):
    """The target resolves to an address the hub must not call."""


def public_addresses(host: str, port: int) -> list[str]:
    """The host's addresses, if every one is on the public internet; else :class:`BlockedTarget`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise BlockedTarget(f"{host} does not resolve: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    forbidden = [a for a in addresses if is_forbidden_address(a)]
    if forbidden or not addresses:
        raise BlockedTarget(f"{host} resolves to a non-public address")
    return addresses


def ensure_public_target(target: Target, allow_private: bool) -> None:
    """Subscription-time check (delivery re-checks on every connection)."""
    if allow_private:
        return
    try:
        public_addresses(target.host, target.port)
    except BlockedTarget as exc:
        raise ForbiddenTarget(f"the url's host is not allowed: {exc}") from None


class _GuardedConnectionMixin:
    _dns_host: str
    port: int

    def _new_conn(self) -> socket.socket:
        address = public_addresses(self._dns_host, self.port)[0]
        host, self._dns_host = self._dns_host, address
        try:
            return super()._new_conn()  # type: ignore[misc]
        finally:
            self._dns_host = host


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


# NOTE: connections kept per endpoint: as many as one subscription may have sends in flight
# (most of the delivery pool, see .limits); fewer, and urllib3 closes the extra connections a
# busy agency's sends opened, one TCP handshake per send again.
POOL_HOSTS, POOL_PER_HOST = 200, POOL_SIZE  # endpoints kept, connections kept per endpoint
_MANAGERS: dict[bool, urllib3.PoolManager] = {}


def _manager(allow_private: bool) -> urllib3.PoolManager:
    """The process's sending pools: connections to an endpoint are kept alive and reused, as
    agencies expect of a webhook sender (a new TCP, and in production TLS, handshake per event
    cost more than the event). A connection is checked against the address rules when it is
    opened, so a reused one was checked.

    NOTE: urllib3 itself, not ``requests`` on top of it: requests' per-call machinery (prepared
    request, hooks, cookie jar, adapter, response wrapper) cost more CPU than the send itself
    (docs/capacity.md). Nothing requests adds is wanted here: no cookie is ever kept or sent
    (endpoints must not track), no proxy is read from the environment (it would bypass the
    address checks), no redirect is followed. Certificates are verified against certifi's
    bundle, as requests did.
    """
    manager = _MANAGERS.get(allow_private)
    if manager is None:
        manager = urllib3.PoolManager(
            num_pools=POOL_HOSTS,
            maxsize=POOL_PER_HOST,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
        if not allow_private:
            manager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
        _MANAGERS[allow_private] = manager
    return manager


def signed_headers(
    message_id: str, secrets: list[str], body: str, timestamp: int
) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, message_id, timestamp, body),
        "content-type": CLOUDEVENTS_MEDIA_TYPE,
        "user-agent": USER_AGENT,
    }


def send(
    url: str, message_id: str, secrets: list[str], body: str, allow_private: bool
) -> AttemptResult:
    """POST one signed webhook; every failure becomes an :class:`AttemptResult`, never raises."""
    headers = signed_headers(message_id, secrets, body, int(time.time()))
    started = time.perf_counter()
    deadline = eventlet.Timeout(TIMEOUT_SECONDS)  # urllib3's timeouts are per socket operation
    try:
        return _post(_manager(allow_private), url, headers, body, started)
    except eventlet.Timeout as exc:
        if exc is not deadline:
            raise
        return AttemptResult(TIMEOUT, _ms(started), excerpt="no answer within 15 s")
    except urllib3.exceptions.TimeoutError as exc:
        # NOTE: urllib3's NewConnectionError (refused, unreachable) is a ConnectTimeoutError.
        if not isinstance(exc, urllib3.exceptions.NewConnectionError):
            return AttemptResult(TIMEOUT, _ms(started), excerpt="no answer within 15 s")
        return _not_sent(exc, started)
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        return _not_sent(exc, started)
    finally:
        deadline.cancel()


def _not_sent(exc: BaseException, started: float) -> AttemptResult:
    if _blocked(exc):
        return AttemptResult(BLOCKED_TARGET, _ms(started), excerpt="target address not allowed")
    return AttemptResult(CONNECTION_ERROR, _ms(started), excerpt=_error_name(exc))


def _post(
    manager: urllib3.PoolManager, url: str, headers: dict[str, str], body: str, started: float
) -> AttemptResult:
    response = manager.request(
        "POST",
        url,
        body=body.encode(),
        headers=headers,
        timeout=urllib3.Timeout(connect=TIMEOUT_SECONDS, read=TIMEOUT_SECONDS),
        retries=False,  # the delivery schedule retries, and no redirect is followed
        redirect=False,
        preload_content=False,
    )
    try:
        raw = response.read(MAX_RESPONSE_READ_BYTES, decode_content=True) or b""
        if response.read(1):  # more than we read: drop the connection rather than drain it
            response.close()
    except BaseException:
        response.close()
        raise
    finally:
        response.release_conn()
    return AttemptResult(
        outcome_of(response.status),
        _ms(started),
        status_code=response.status,
        excerpt=printable_excerpt(raw),
        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
    )


def _error_name(exc: BaseException) -> str:
    """The name of what went wrong underneath urllib3's wrapping (ConnectionRefusedError...)."""
    inner = getattr(exc, "reason", None) or (exc.args[-1] if exc.args else None)
    return type(inner if isinstance(inner, BaseException) else exc).__name__


def printable_excerpt(raw: bytes) -> str:
    """At most :data:`EXCERPT_BYTES` of the answer, as text a database and a log can hold."""
    text = raw[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    # NOTE: PostgreSQL refuses NUL in text; other control characters would garble logs.
    return "".join(c if c.isprintable() or c in "\n\t" else "\ufffd" for c in text)


def _blocked(exc: BaseException) -> bool:
    """Whether a BlockedTarget hides somewhere in the exception chain urllib3 built."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, BlockedTarget):
            return True
        reason = getattr(seen, "reason", None)
        nested = next((a for a in seen.args if isinstance(a, BaseException)), None)
        seen = (
            reason
            if isinstance(reason, BaseException)
            else nested or seen.__cause__ or seen.__context__
        )
    return False


def retry_after_seconds(raw: str | None, now: datetime | None = None) -> float | None:
    """RFC 9110 section 10.2.3: delay-seconds or an HTTP-date; None if absent or unreadable."""
    if not raw:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
