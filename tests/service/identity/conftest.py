"""The identity service and the mock identity provider, started for real; registered clients."""

from __future__ import annotations

from typing import Any

import pytest
from identity_browser import RegisteredClient

from services.identity.cli import create_client
from services.identity.service import IdentityService
from services.mock_idp.service import MockIdentityProvider
from shared.testing import free_port, wait_for_http


@pytest.fixture
def start_hub(start_service: Any, settings: Any) -> Any:
    """Starts the mock provider and the identity service on the given settings."""

    def start(hub_settings: Any = None) -> Any:
        effective = hub_settings or settings
        start_service(MockIdentityProvider, "mock-idp", effective)
        start_service(IdentityService, "identity", effective)
        wait_for_http(effective.public_url("mock-idp") + "/healthz")
        wait_for_http(effective.public_url("identity") + "/healthz")
        return effective

    return start


@pytest.fixture
def hub(start_hub: Any) -> Any:
    return start_hub()


@pytest.fixture
def register(settings: Any) -> Any:
    """Registers a client the way `hub clients create` does."""

    def make(
        kind: str = "service-provider",
        scope: str | None = None,
        public: bool = False,
        hub_settings: Any = None,
    ) -> RegisteredClient:
        redirect_uri = (
            f"http://127.0.0.1:{free_port()}/callback" if kind == "service-provider" else None
        )
        created = create_client(
            hub_settings or settings,
            f"test {kind}",
            kind,
            scope,
            [redirect_uri] if redirect_uri else [],
            public,
        )
        return RegisteredClient(
            created["client_id"], created["client_secret"], redirect_uri or "", created["scopes"]
        )

    return make
