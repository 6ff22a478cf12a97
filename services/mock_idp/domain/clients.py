"""The mock provider's clients: the hub's upstream entries whose issuer is the mock's own URL."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class MockClient:
    client_id: str
    secret: str
    redirect_uris: set[str] = field(default_factory=set)
    timeout: float = 5.0  # the hub's timeout towards this provider (the "timeout" fault)
