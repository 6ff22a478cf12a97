"""nameko dependency providers of the identity service."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.identity.adapters.keys import KeyStore
from services.identity.adapters.metrics import IdentityMetrics
from services.identity.adapters.relying_party import UpstreamClient
from services.identity.handlers.login import IdentityContext
from shared.db import make_engine
from shared.dependencies import hub_settings
from shared.upstreams import load_upstreams


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
