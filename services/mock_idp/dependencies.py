"""nameko dependency provider of the mock identity provider."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.mock_idp.adapters import signing_key
from services.mock_idp.adapters.identities import load_identities
from services.mock_idp.adapters.jwt import KeySigner
from services.mock_idp.adapters.upstreams import mock_clients
from services.mock_idp.domain.provider import MockProvider
from shared.dependencies import hub_settings
from shared.upstreams import load_upstreams


class MockState(DependencyProvider):
    """The provider, its key pair (kept under the data directory) and its codes and tokens."""

    def setup(self) -> None:
        settings = hub_settings(self.container.config)
        if settings.production:
            raise RuntimeError(
                "the mock identity provider refuses to start when HUB_ENV=production"
            )
        issuer = settings.public_url("mock-idp")
        clients = mock_clients(load_upstreams(settings), issuer, settings.public_url("identity"))
        identities = load_identities(settings.mock_idp_identities_file)
        key = signing_key.load_or_create(settings.data_dir / "mock-idp" / "signing-key.jwk")
        self.signer = KeySigner(key)
        self.provider = MockProvider(issuer, identities, clients, self.signer)

    def get_dependency(self, worker_ctx: Any) -> MockProvider:
        return self.provider
