"""What the webhooks are asked to do: plain frozen dataclasses, parsed from the wire by
:mod:`.schemas`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.notifications.webhooks.domain import Target


@dataclass(frozen=True)
class NewSubscription:
    agency_id: str
    url: str
    target: Target
    event_types: list[str] | None
    rate_limit: int | None = None


@dataclass(frozen=True)
class PublicEvent:
    """A petition event to forward to the agencies that want it: its id (the ``webhook-id``
    agencies see), type and time, and the data they may see (checked against the catalogue)."""

    id: str
    type: str
    time: str
    data: Mapping[str, Any]
