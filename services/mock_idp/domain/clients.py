"""The mock provider's clients: the hub's upstream entries whose issuer is the mock's own URL."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.upstreams import UpstreamProvider


@dataclass
class MockClient:
    client_id: str
    secret: str
    redirect_uris: set[str] = field(default_factory=set)
    timeout: float = 5.0  # the hub's timeout towards this provider (the "timeout" fault)


def mock_clients(
    upstreams: list[UpstreamProvider], issuer: str, hub_url: str
) -> dict[str, MockClient]:
    clients: dict[str, MockClient] = {}
    for provider in upstreams:
        if provider.issuer == issuer:
            client = clients.setdefault(
                provider.client_id,
                MockClient(provider.client_id, provider.client_secret),
            )
            client.timeout = provider.timeout_seconds
            client.redirect_uris.add(provider.redirect_uri(hub_url))
    return clients
