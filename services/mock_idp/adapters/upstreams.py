"""The mock provider's clients, from the hub's upstream providers (``HUB_UPSTREAM_IDPS``): each
entry whose issuer is the mock's own URL, with the hub's redirect URI for it."""

from __future__ import annotations

from services.mock_idp.domain.clients import MockClient
from shared.upstreams import UpstreamProvider


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
