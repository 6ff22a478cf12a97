"""The public event catalogue: what agencies can subscribe to, and the schema of each event's data.

The petitions service (and, for ``transparency.checkpoint_published``, the transparency log)
publishes these on the bus; we forward them to agencies as CloudEvents.
Only the properties listed here ever leave the hub (:func:`public_data`), so a field added to a
bus payload later (a citizen's id, say) cannot leak to an agency by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.notifications.webhooks.domain.errors import InvalidEvent

SOURCE_SERVICE = "petitions"
TRANSPARENCY_SERVICE = "transparency"  # the log's checkpoints (issue 21)
CLOUDEVENT_TYPE_PREFIX = "fr.participation-hub."
CLOUDEVENT_SOURCE = "urn:participation-hub:petitions"

_PETITION_ID = {"type": "string", "minLength": 1, "description": "The petition's id."}
_COUNT = {"type": "integer", "minimum": 0, "description": "Signatures counted so far."}


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    properties: Mapping[str, Mapping[str, Any]]
    required: tuple[str, ...] = field(default=())
    subject: str = "petition_id"  # the data field naming what the event is about

    @property
    def cloudevent_type(self) -> str:
        return CLOUDEVENT_TYPE_PREFIX + self.name

    def schema(self) -> dict[str, Any]:
        """JSON Schema (2020-12) of the CloudEvent's ``data``."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.cloudevent_type,
            "type": "object",
            "properties": {name: dict(spec) for name, spec in self.properties.items()},
            "required": list(self.required),
            "additionalProperties": False,
        }

    def describe(self) -> dict[str, Any]:
        return {
            "type": self.name,
            "cloudevents_type": self.cloudevent_type,
            "description": self.description,
            "schema": self.schema(),
        }


CATALOGUE: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType(
            "petition.published",
            "A petition passed moderation and is open for signatures.",
            {
                "petition_id": _PETITION_ID,
                "title": {"type": "string"},
                "published_at": {"type": "string", "format": "date-time"},
                "deadline": {"type": ["string", "null"], "format": "date-time"},
            },
            ("petition_id", "title", "published_at"),
        ),
        EventType(
            "petition.rejected",
            "Moderation rejected a petition.",
            {"petition_id": _PETITION_ID, "reason": {"type": "string"}},
            ("petition_id", "reason"),
        ),
        EventType(
            "petition.signature_count_changed",
            "A petition's count changed (coalesced: about one event per second per petition).",
            {"petition_id": _PETITION_ID, "signature_count": _COUNT},
            ("petition_id", "signature_count"),
        ),
        EventType(
            "petition.threshold_reached",
            "A petition reached one of its thresholds.",
            {
                "petition_id": _PETITION_ID,
                "threshold": {"type": "integer", "minimum": 1},
                "signature_count": _COUNT,
            },
            ("petition_id", "threshold", "signature_count"),
        ),
        EventType(
            "petition.closed",
            "A petition closed; its final count.",
            {
                "petition_id": _PETITION_ID,
                "signature_count": _COUNT,
                "closed_at": {"type": ["string", "null"], "format": "date-time"},
            },
            ("petition_id", "signature_count"),
        ),
        EventType(
            "transparency.checkpoint_published",
            "The transparency log published a checkpoint its witnesses' quorum cosigned: keep it"
            " to hold the log to what it showed you (C2SP tlog-checkpoint, signed note).",
            {
                "origin": {"type": "string", "minLength": 1},
                "size": {"type": "integer", "minimum": 0},
                "root_hash": {"type": "string", "minLength": 44},
                "checkpoint": {"type": "string", "minLength": 1},
            },
            ("origin", "size", "root_hash", "checkpoint"),
            subject="origin",
        ),
    )
}
EVENT_TYPES = tuple(CATALOGUE)


def event_subject(event_type: str, data: Mapping[str, Any]) -> str:
    """The CloudEvent ``subject``: the petition's id, or for the log's checkpoints its origin."""
    spec = CATALOGUE.get(event_type)
    return str(data[spec.subject if spec else "petition_id"])


def unknown_event_types(names: list[str]) -> list[str]:
    return [name for name in names if name not in CATALOGUE]


def public_data(event_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The event's data as agencies see it: checked against the schema, unknown keys dropped."""
    spec = CATALOGUE.get(event_type)
    if spec is None:
        raise InvalidEvent(f"{event_type!r} is not a public event type")
    missing = [name for name in spec.required if name not in payload]
    if missing:
        raise InvalidEvent(f"{event_type} payload lacks {', '.join(missing)}")
    data = {name: payload[name] for name in spec.properties if name in payload}
    for name, value in data.items():
        if not _matches(spec.properties[name], value):
            raise InvalidEvent(
                f"{event_type} payload field {name} is not a valid {spec.properties[name]['type']}"
            )
    return data


def _matches(spec: Mapping[str, Any], value: Any) -> bool:
    types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    if value is None:
        return "null" in types
    if "string" in types:
        return isinstance(value, str) and len(value) >= spec.get("minLength", 0)
    if "integer" in types:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        return is_int and value >= spec.get("minimum", value)
    return False  # pragma: no cover - the catalogue only uses strings and integers
