"""What the identity service's use cases share: their collaborators besides the unit of work, and
how they answer a client at its redirect URI."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from services.identity.adapters.keys import KeyStore
from services.identity.adapters.metrics import IdentityMetrics
from services.identity.adapters.relying_party import UpstreamClient
from services.identity.domain.errors import AuthorizationError
from shared.config import Settings


@dataclass
class IdentityContext:
    """The collaborators the use cases need besides the unit of work."""

    settings: Settings
    keys: KeyStore
    upstreams: Mapping[str, UpstreamClient]
    clock: Callable[[], float] = time.time
    today: Callable[[], date] = field(default=lambda: datetime.now(UTC).date())
    metrics: IdentityMetrics = field(default_factory=IdentityMetrics)

    @property
    def issuer(self) -> str:
        return self.settings.public_url("identity")

    def now(self) -> int:
        return int(self.clock())


def error_redirect(
    ctx: IdentityContext, redirect_uri: str, state: str | None, exc: AuthorizationError
) -> str:
    """OIDC Core 3.1.2.6, with RFC 9207's ``iss``."""
    answer = {"error": exc.error, "error_description": exc.description, "iss": ctx.issuer}
    if state:
        answer["state"] = state
    return with_query(redirect_uri, answer)


def with_query(url: str, params: Mapping[str, Any]) -> str:
    present = {k: v for k, v in params.items() if v is not None}
    if not present:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(present)
