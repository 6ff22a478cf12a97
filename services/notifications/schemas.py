"""What the HTTP API accepts and answers: request parsing and the JSON shape of each resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.notifications.domain import parse_target
from services.notifications.errors import InvalidRequest
from services.notifications.events import CATALOGUE, unknown_event_types
from services.notifications.handlers import NewSubscription
from services.notifications.storage import as_utc
from shared.envelope import isoformat

MAX_DELIVERIES_LISTED = 200
DEFAULT_DELIVERIES_LISTED = 50


def new_subscription(
    agency_id: str, data: Mapping[str, Any], require_https: bool
) -> NewSubscription:
    unknown_fields = sorted(set(data) - {"url", "event_types"})
    if unknown_fields:
        raise InvalidRequest(f"unknown fields: {', '.join(unknown_fields)}", "unknown_field")
    if "url" not in data:
        raise InvalidRequest("url is required", "invalid_url")
    target = parse_target(data["url"], require_https)
    return NewSubscription(agency_id, data["url"], target, _event_types(data.get("event_types")))


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


def deliveries_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_DELIVERIES_LISTED
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DELIVERIES_LISTED:
        raise InvalidRequest(
            f"limit must be between 1 and {MAX_DELIVERIES_LISTED}", "invalid_limit"
        )
    return int(raw)


def subscription_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "event_types": row.event_types if row.event_types is not None else list(CATALOGUE),
        "all_event_types": row.event_types is None,
        "status": row.status,
        "created_at": _time(row.created_at),
        "disabled_reason": row.disabled_reason,
    }


def created_subscription_view(row: Mapping[str, Any]) -> dict[str, Any]:
    view = subscription_view(_Row(row))
    view["secret"] = row["secret"]
    return view


def delivery_view(row: Any, attempts: list[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "event_type": row.event_type,
        "status": row.status,
        "attempt_count": row.attempt_count,
        "next_attempt_at": _time(row.next_attempt_at) if row.status == "pending" else None,
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


def event_types_view() -> dict[str, Any]:
    return {"event_types": [spec.describe() for spec in CATALOGUE.values()]}


def _time(moment: Any) -> str | None:
    moment = as_utc(moment)
    return isoformat(moment) if moment is not None else None


class _Row:
    """Attribute access over a freshly inserted row's values."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)
        self.__dict__.setdefault("disabled_reason", None)
