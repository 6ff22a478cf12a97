"""A subscription's rules: its statuses, its event-type filter, its rate limit, the rotation of
its secret, when failing too long disables it, how far back recovery reaches, and who acts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from services.notifications.webhooks.domain.errors import InsufficientScope
from shared.scopes import EVENTS_SUBSCRIBE, PETITIONS_MODERATE, has_scope

# Subscription statuses: paused holds deliveries (sent on resume); disabled stops queuing them.
ACTIVE, PAUSED, DISABLED, DELETED = "active", "paused", "disabled", "deleted"
# Svix: an endpoint failing for 5 days is disabled; a rotated secret still signs for 24 h.
FAILURE_WINDOW = timedelta(days=5)
ROTATION_OVERLAP = timedelta(hours=24)
DEFAULT_RATE_PER_SECOND = 20  # deliveries a second to one endpoint, unless it says otherwise
MAX_RATE_PER_SECOND = 1000
MAX_RECOVERY_DAYS = 14  # messages older than this may be gone: recovery says so


def agency_of(claims: Mapping[str, Any]) -> str:
    """The agency acting: the OAuth client of a client-credentials token."""
    if not has_scope(dict(claims), EVENTS_SUBSCRIBE):
        raise InsufficientScope(EVENTS_SUBSCRIBE)
    return str(claims.get("client_id") or claims["sub"])


def operator_of(claims: Mapping[str, Any]) -> str:
    """An operator acting: today the moderation scope is the hub's operator scope."""
    if not has_scope(dict(claims), PETITIONS_MODERATE):
        raise InsufficientScope(PETITIONS_MODERATE)
    return str(claims.get("client_id") or claims["sub"])


def failing_too_long(failing_since: datetime | None, now: datetime) -> bool:
    return failing_since is not None and now - failing_since >= FAILURE_WINDOW


def wants(event_types: list[str] | None, event_type: str) -> bool:
    """A subscription's filter: ``None`` means every event type."""
    return event_types is None or event_type in event_types
