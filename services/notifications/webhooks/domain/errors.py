"""The webhooks' refusals (their HTTP answers are in services.notifications.web.errors) and the
bus events they cannot forward."""

from __future__ import annotations

from shared.refusals import Refusal


class InvalidEvent(ValueError):
    """A message on the bus is not a public petition event we can forward (dead-lettered)."""


class WebhooksError(Refusal):
    """A refusal the client caused; ``code`` is the JSON error code."""

    code = "invalid_request"


class InvalidRequest(WebhooksError):
    pass


class ForbiddenTarget(WebhooksError):
    """The webhook URL points at a network the hub must not call (SSRF defence)."""

    code = "forbidden_target"


class SubscriptionNotFound(WebhooksError):
    code = "subscription_not_found"


class DeliveryNotFound(WebhooksError):
    code = "delivery_not_found"


class Conflict(WebhooksError):
    code = "conflict"


class InsufficientScope(WebhooksError):
    """``message`` is the scope the call needs."""

    code = "insufficient_scope"
