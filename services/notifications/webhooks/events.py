"""What the webhooks announce on the bus (``notifications.*``), for operators' alerting and any
service that listens: past tense, frozen, versioned (:class:`shared.events.Event`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared.events import Event


@dataclass(frozen=True)
class SubscriptionDisabled(Event):
    """An endpoint answered 410 Gone, or failed every delivery for 5 days: it gets nothing more
    until its agency resumes it."""

    TYPE: ClassVar[str] = "notifications.subscription_disabled"

    subscription_id: str
    agency_id: str
    reason: str
    disabled_at: str  # RFC 3339


@dataclass(frozen=True)
class DeliveryExhausted(Event):
    """Every attempt of the retry schedule failed: the message will not reach this endpoint
    unless its agency asks again (redeliver, recover)."""

    TYPE: ClassVar[str] = "notifications.delivery_exhausted"

    subscription_id: str
    agency_id: str
    message_id: str
    event_type: str
    attempts: int
