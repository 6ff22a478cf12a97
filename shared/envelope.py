"""The event envelope every service publishes and consumes.

An envelope is frozen and versioned: ``id`` (the deduplication key of every consumer's inbox),
``type`` (past tense, e.g. ``petition.published``), ``version`` (of the payload's schema),
``time`` (UTC, RFC 3339), ``source`` (the publishing service), ``correlation_id`` (carried from
the HTTP request, RPC or event that caused it) and ``payload``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.clock import isoformat, utcnow


class InvalidEnvelope(ValueError):
    """A message on the bus is not a hub event envelope."""


@dataclass(frozen=True)
class Envelope:
    type: str
    payload: Mapping[str, Any]
    source: str
    version: int = 1
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: str = field(default_factory=lambda: isoformat(utcnow()))
    correlation_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # NOTE: not dataclasses.asdict: it deep-copies the payload (a signature batch's event
        # holds one receipt per signature), on the signing path. The payload is JSON data
        # handed on as it is; its top level is copied.
        return {
            "type": self.type,
            "payload": dict(self.payload),
            "source": self.source,
            "version": self.version,
            "id": self.id,
            "time": self.time,
            "correlation_id": self.correlation_id,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Envelope:
        if not isinstance(data, Mapping):
            raise InvalidEnvelope("an event must be a JSON object")
        missing = [
            k for k in ("id", "type", "version", "time", "source", "payload") if k not in data
        ]
        if missing:
            raise InvalidEnvelope(f"event lacks {', '.join(missing)}")
        if not isinstance(data["payload"], Mapping):
            raise InvalidEnvelope("event payload must be an object")
        if not isinstance(data["version"], int):
            raise InvalidEnvelope("event version must be an integer")
        return cls(
            id=str(data["id"]),
            type=str(data["type"]),
            version=data["version"],
            time=str(data["time"]),
            source=str(data["source"]),
            correlation_id=data.get("correlation_id"),
            payload=dict(data["payload"]),
        )
