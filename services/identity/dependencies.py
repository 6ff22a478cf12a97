"""nameko dependency providers of the identity service.

- :class:`OpenIdProvider`: the signing keys and the upstream providers, shared by the container's
  workers; each worker gets an :class:`~services.identity.handlers.context.IdentityContext`.
- :class:`ClientAuthFailures`: failed client authentications at the token endpoint, slowing
  guessers down (RFC 6749 10.10) without letting anyone lock a client's owner out.

Why not per client id: a client id is public (it is in every authorization URL a service provider
sends browsers to), so a limit counted per client id alone lets anyone refuse the owner's right
secret. Instead:

- the credentials are always checked; right ones always go through, whatever others did;
- a wrong secret is counted per (client id, caller address) and per caller address; past either
  allowance (``HUB_RATE_LIMIT_TOKEN_FAILURES_PER_CLIENT``, ``..._PER_ADDRESS``, a minute, per
  process) the answer is 429 with Retry-After instead of 401;
- the operator's signal: ``hub_identity_client_auth_failures_total{client, answer}`` (no client id
  in labels: attackers choose them) and a WARNING naming a *registered* client whose wrong
  secrets, from all addresses, pass the per-client allowance (at most one a minute per client).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from typing import Any

from nameko.extensions import DependencyProvider

from services.identity.adapters.keys import KeyStore
from services.identity.adapters.metrics import IdentityMetrics
from services.identity.adapters.relying_party import UpstreamClient
from services.identity.domain.errors import OAuthError
from services.identity.handlers.context import IdentityContext
from shared.db import make_engine
from shared.dependencies import hub_settings
from shared.ratelimit import RateLimiter, too_many
from shared.upstreams import load_upstreams

log = logging.getLogger(__name__)

ALARM_LOG_PER_MINUTE = 1  # per registered client


class OpenIdProvider(DependencyProvider):
    """The signing keys and the upstream providers, shared by the container's workers.

    The keys have an engine of their own so that making the first key never commits, or waits
    on, a worker's transaction.
    """

    def setup(self) -> None:
        self.settings = hub_settings(self.container.config)
        self.engine = make_engine(self.settings.database_url("identity"))
        self.keys = KeyStore(self.engine, self.settings.subject_secret)
        self.metrics = IdentityMetrics()
        hub_url = self.settings.public_url("identity")
        self.upstreams = {p.id: UpstreamClient(p, hub_url) for p in load_upstreams(self.settings)}

    def stop(self) -> None:
        self.engine.dispose()

    def kill(self) -> None:
        self.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> IdentityContext:
        return IdentityContext(self.settings, self.keys, self.upstreams, metrics=self.metrics)


class ClientAuthFailures(DependencyProvider):
    """Per-process counters of wrong client secrets (see the module's docstring)."""

    def setup(self) -> None:
        limits = hub_settings(self.container.config).rate_limits
        self.per_client = limits["token_failures_per_client"]
        self.per_pair = RateLimiter(self.per_client)
        self.per_address = RateLimiter(limits["token_failures_per_address"])
        # NOTE: keyed by registered client ids only, so attackers cannot fill it with theirs.
        self.per_registered_client = RateLimiter(self.per_client)
        self.alarms = RateLimiter(ALARM_LOG_PER_MINUTE)
        self.metrics = IdentityMetrics()

    def get_dependency(self, worker_ctx: Any) -> ClientAuthFailures:
        return self

    @contextlib.contextmanager
    def counted(self, credentials: Any, address: str) -> Iterator[None]:
        """Around a call that authenticates a client (the token and revocation endpoints): an
        ``invalid_client`` it raises is counted, and becomes a 429 when the caller is over; right
        credentials are never refused here."""
        try:
            yield
        except OAuthError as error:
            if error.error == "invalid_client":
                self.failed(error, credentials.client_id, address)
            raise

    def failed(self, error: OAuthError, client_id: str | None, address: str) -> None:
        """Count an ``invalid_client`` answer; raise 429 instead when the caller is over."""
        waits = [
            self.per_pair.retry_after(f"{_short_digest(client_id or '')} {address}"),
            self.per_address.retry_after(address),
        ]
        wait = max((w for w in waits if w is not None), default=None)
        registered = error.client_registered
        self.metrics.client_auth_failures.labels(
            "registered" if registered else "unknown", "refused" if wait is None else "rate_limited"
        ).inc()
        if registered and client_id:
            self._alarm(client_id)
        if wait is not None:
            raise too_many(wait)

    def _alarm(self, client_id: str) -> None:
        if self.per_registered_client.retry_after(client_id) is None:
            return
        if self.alarms.retry_after(client_id) is None:
            log.warning(
                "client %s: more than %d wrong secrets a minute (this process); its right "
                "secret still works, each caller address is slowed down",
                client_id,
                self.per_client,
            )


def _short_digest(value: str) -> str:
    """Bounded keys whatever the length of what the caller sent."""
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]
