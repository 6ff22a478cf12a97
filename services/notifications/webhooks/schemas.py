"""Wire <-> commands and views for the webhooks: the agencies' API requests parsed into
commands and its resources shaped as JSON, and the petitions events that reach agencies parsed
into :class:`PublicEvent` (only the catalogue's public data)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.notifications.webhooks.commands import NewSubscription, PublicEvent
from services.notifications.webhooks.domain import (
    CATALOGUE,
    DEFAULT_RATE_PER_SECOND,
    MAX_RATE_PER_SECOND,
    PENDING,
    InvalidEvent,
    InvalidRequest,
    parse_target,
    public_data,
    unknown_event_types,
)
from services.notifications.webhooks.handlers.subscriptions import Page
from services.notifications.webhooks.storage.queries import Cursor
from shared.clock import as_utc, isoformat
from shared.envelope import Envelope

MAX_PAGE = 200
DEFAULT_PAGE = 50


# Petitions events that reach agencies


def received(routing_key: str, body: Any) -> Envelope:
    """The event's envelope; it must have come by its own type's routing key."""
    envelope = Envelope.from_dict(body)
    if envelope.type != routing_key:
        raise InvalidEvent(f"an event of type {envelope.type!r} arrived as {routing_key!r}")
    return envelope


def public_event(envelope: Envelope) -> PublicEvent:
    """What agencies may see of the event (checked against the catalogue, unknown keys gone)."""
    data = public_data(envelope.type, envelope.payload)
    return PublicEvent(envelope.id, envelope.type, envelope.time, data)


# The agencies' API


def new_subscription(
    agency_id: str, data: Mapping[str, Any], require_https: bool
) -> NewSubscription:
    unknown_fields = sorted(set(data) - {"url", "event_types", "rate_limit"})
    if unknown_fields:
        raise InvalidRequest(f"unknown fields: {', '.join(unknown_fields)}", "unknown_field")
    if "url" not in data:
        raise InvalidRequest("url is required", "invalid_url")
    target = parse_target(data["url"], require_https)
    return NewSubscription(
        agency_id,
        data["url"],
        target,
        _event_types(data.get("event_types")),
        _rate_limit(data.get("rate_limit")),
    )


def _event_types(raw: Any) -> list[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) for t in raw):
        raise InvalidRequest(
            "event_types must be a non-empty list of event types (omit it for all)",
            "invalid_event_types",
        )
    unknown = unknown_event_types(raw)
    if unknown:
        raise InvalidRequest(
            f"unknown event types: {', '.join(unknown)} (see GET /api/event-types)",
            "unknown_event_type",
        )
    return sorted(set(raw))


def _rate_limit(raw: Any) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_RATE_PER_SECOND:
        raise InvalidRequest(
            f"rate_limit must be a whole number of deliveries per second, 1 to "
            f"{MAX_RATE_PER_SECOND}",
            "invalid_rate_limit",
        )
    return raw


def page_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}", "invalid_limit")
    return int(raw)


def subscription_cursor(raw: str | None) -> Cursor | None:
    """Opaque to clients: the (created_at, id) of the last subscription of the previous page."""
    if raw is None:
        return None
    try:
        moment, _, subscription_id = base64.urlsafe_b64decode(raw.encode()).decode().partition("|")
        return datetime.fromisoformat(moment), subscription_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequest("cursor is not one this API gave", "invalid_cursor") from None


def next_subscription_cursor(row: Any) -> str:
    raw = f"{as_utc(row.created_at).isoformat()}|{row.id}"  # type: ignore[union-attr]
    return base64.urlsafe_b64encode(raw.encode()).decode()


def id_cursor(raw: str | None) -> int | None:
    """Cursors of newest-first lists: the id of the last row of the previous page."""
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidRequest("cursor is not one this API gave", "invalid_cursor")
    return int(raw)


def recovery_since(data: Mapping[str, Any], now: datetime) -> datetime:
    raw = data.get("since")
    if set(data) - {"since"} or not isinstance(raw, str):
        raise InvalidRequest('send {"since": an RFC 3339 date-time}', "invalid_since")
    try:
        since = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest("since must be an RFC 3339 date-time", "invalid_since") from None
    if since.tzinfo is None or since > now:
        raise InvalidRequest("since must be a past date-time with its offset", "invalid_since")
    return since


def subscription_view(row: Any) -> dict[str, Any]:
    rotation_ends = as_utc(row.previous_secret_expires_at)
    return {
        "id": row.id,
        "url": row.url,
        "event_types": row.event_types if row.event_types is not None else list(CATALOGUE),
        "all_event_types": row.event_types is None,
        "status": row.status,
        "rate_limit": row.rate_limit or DEFAULT_RATE_PER_SECOND,
        "created_at": _time(row.created_at),
        "disabled_reason": row.disabled_reason,
        "failing_since": _time(row.failing_since),
        "throttled_until": _time(row.throttled_until),
        "previous_secret_expires_at": _time(rotation_ends),
    }


def created_subscription_view(row: Mapping[str, Any]) -> dict[str, Any]:
    view = subscription_view(_Row(row))
    view["secret"] = row["secret"]
    return view


def rotated_secret_view(rotated: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "secret": rotated["secret"],
        "previous_secret_expires_at": _time(rotated["previous_secret_expires_at"]),
    }


def delivery_view(row: Any, attempts: list[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "event_type": row.event_type,
        "status": row.status,
        "attempt_count": row.attempt_count,
        "next_attempt_at": _time(row.next_attempt_at) if row.status == PENDING else None,
        "created_at": _time(row.created_at),
        "attempts": [attempt_view(a) for a in attempts],
    }


def attempt_view(row: Any) -> dict[str, Any]:
    return {
        "attempted_at": _time(row.attempted_at),
        "status_code": row.status_code,
        "duration_ms": row.duration_ms,
        "outcome": row.outcome,
        "response_excerpt": row.response_excerpt,
    }


def dead_letter_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "consumer": row.consumer,
        "routing_key": row.routing_key,
        "reason": row.reason,
        "body": row.body,
        "received_at": _time(row.received_at),
    }


def subscriptions_view(page: Page) -> dict[str, Any]:
    cursor = next_subscription_cursor(page.rows[-1]) if page.more else None
    return {"subscriptions": [subscription_view(r) for r in page.rows], "next_cursor": cursor}


def deliveries_view(found: list[tuple[Any, list[Any]]], more: bool) -> dict[str, Any]:
    cursor = str(found[-1][0].id) if more else None
    return {"deliveries": [delivery_view(d, a) for d, a in found], "next_cursor": cursor}


def dead_letters_view(page: Page) -> dict[str, Any]:
    cursor = str(page.rows[-1].id) if page.more else None
    return {"dead_letters": [dead_letter_view(r) for r in page.rows], "next_cursor": cursor}


def event_types_view() -> dict[str, Any]:
    return {"event_types": [spec.describe() for spec in CATALOGUE.values()]}


def _time(moment: Any) -> str | None:
    moment = as_utc(moment)
    return isoformat(moment) if moment is not None else None


class _Row:
    """Attribute access over a freshly inserted row's values."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(
            {
                "disabled_reason": None,
                "failing_since": None,
                "throttled_until": None,
                "previous_secret_expires_at": None,
                **values,
            }
        )
