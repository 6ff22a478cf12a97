"""The reusable schemas of the notifications OpenAPI document (JSON Schema 2020-12)."""

from __future__ import annotations

from typing import Any

from services.notifications.mail.domain.authors import MAX_AUTHOR_KEY_LENGTH
from services.notifications.mail.domain.receipts import LOCALES, LOG_FIELDS, RECEIPT_FIELDS
from services.notifications.webhooks.domain import CATALOGUE, MAX_RATE_PER_SECOND

TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
CURSOR = {"type": ["string", "null"], "description": "pass as ?cursor= for the next page"}
EVENT_TYPE = {"type": "string", "enum": list(CATALOGUE)}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
        "additionalProperties": False,
    }


def _page(key: str, item: str) -> dict[str, Any]:
    return _object({key: {"type": "array", "items": ref(item)}, "next_cursor": CURSOR})


def components() -> dict[str, Any]:
    return {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        },
        "schemas": {**_subscription_schemas(), **_delivery_schemas(), **_other_schemas()},
    }


def _subscription_schemas() -> dict[str, Any]:
    rate = {"type": "integer", "minimum": 1, "maximum": MAX_RATE_PER_SECOND}
    subscription = _object(
        {
            "id": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
            "event_types": {"type": "array", "items": EVENT_TYPE},
            "all_event_types": {"type": "boolean"},
            "status": {"type": "string", "enum": ["active", "paused", "disabled"]},
            "rate_limit": {**rate, "description": "deliveries per second"},
            "created_at": TIME,
            "disabled_reason": {"type": ["string", "null"]},
            "failing_since": NULLABLE_TIME,
            "throttled_until": NULLABLE_TIME,
            "previous_secret_expires_at": {
                **NULLABLE_TIME,
                "description": "until then the previous secret signs too (after a rotation)",
            },
        }
    )
    created = {**subscription, "properties": {**subscription["properties"], "secret": _SECRET}}
    return {
        "NewSubscription": _object(
            {
                "url": {"type": "string", "format": "uri"},
                "event_types": {"type": "array", "items": EVENT_TYPE, "minItems": 1},
                "rate_limit": rate,
            },
            ["url"],
        ),
        "Subscription": subscription,
        "CreatedSubscription": {**created, "required": [*subscription["required"], "secret"]},
        "SubscriptionPage": _page("subscriptions", "Subscription"),
        "RotatedSecret": _object({"secret": _SECRET, "previous_secret_expires_at": TIME}),
    }


_SECRET = {"type": "string", "pattern": "^whsec_"}


def _delivery_schemas() -> dict[str, Any]:
    outcomes = ["success", "http_error", "timeout", "connection_error", "blocked_target"]
    attempt = _object(
        {
            "attempted_at": TIME,
            "status_code": {"type": ["integer", "null"]},
            "duration_ms": {"type": "integer", "minimum": 0},
            "outcome": {"type": "string", "enum": outcomes},
            "response_excerpt": {"type": "string", "maxLength": 1024},
        }
    )
    delivery = _object(
        {
            "id": {"type": "integer"},
            "message_id": {"type": "string", "description": "the webhook-id header"},
            "event_type": EVENT_TYPE,
            "status": {"type": "string", "enum": ["pending", "succeeded", "failed", "cancelled"]},
            "attempt_count": {"type": "integer", "description": "in the current round"},
            "next_attempt_at": NULLABLE_TIME,
            "created_at": TIME,
            "attempts": {"type": "array", "items": ref("Attempt")},
        }
    )
    queued = {"status": {"const": "queued"}}
    return {
        "Attempt": attempt,
        "Delivery": delivery,
        "DeliveryPage": _page("deliveries", "Delivery"),
        "Recovery": _object({"since": TIME}),
        "Redelivery": _object({**queued, "message_id": {"type": "string"}}),
        "Recovered": _object({**queued, "recovered": {"type": "integer", "minimum": 0}}),
    }


def _other_schemas() -> dict[str, Any]:
    # the receipt as petitions gave it; its log fields are accepted and ignored
    receipt = _object(
        {name: {"type": "string"} for name in (*RECEIPT_FIELDS, *sorted(LOG_FIELDS))},
        list(RECEIPT_FIELDS),
    )
    return {
        "Error": _object({"error": {"type": "string"}, "message": {"type": "string"}}),
        "EventTypes": _object(
            {
                "event_types": {
                    "type": "array",
                    "items": _object(
                        {
                            "type": EVENT_TYPE,
                            "cloudevents_type": {"type": "string"},
                            "description": {"type": "string"},
                            "schema": {"type": "object"},
                        }
                    ),
                }
            }
        ),
        "DeadLetter": _object(
            {
                "id": {"type": "integer"},
                "consumer": {"type": "string"},
                "routing_key": {"type": "string"},
                "reason": {"type": "string"},
                "body": {"type": "string", "description": "the message as received (bounded)"},
                "received_at": TIME,
            }
        ),
        "DeadLetterPage": _page("dead_letters", "DeadLetter"),
        "Receipt": receipt,
        "SignatureEmailRequest": _object(
            {
                "receipt": ref("Receipt"),
                "email": {"type": "string", "format": "email", "maxLength": 254},
                "locale": {"type": "string", "enum": list(LOCALES), "default": "fr"},
                "notify_outcome": {"type": "boolean", "default": False},
            },
            ["receipt", "email"],
        ),
        "SignatureEmailQueued": _object(
            {"status": {"const": "queued"}, "notify_outcome": {"type": "boolean"}}
        ),
        "AuthorEmailRequest": _object(
            {
                "petition_id": {"type": "string", "minLength": 1, "maxLength": 100},
                "author_key": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_AUTHOR_KEY_LENGTH,
                    "description": "given once to the author when the petition was created",
                },
                "email": {"type": "string", "format": "email", "maxLength": 254},
                "locale": {"type": "string", "enum": list(LOCALES), "default": "fr"},
            },
            ["petition_id", "author_key", "email"],
        ),
        "AuthorEmailRegistered": _object(
            {"status": {"const": "registered"}, "replaced": {"type": "boolean"}}
        ),
        "Health": {"type": "object", "properties": {"status": {"type": "string"}}},
    }
