"""What a service tells the others: events, past tense, frozen, versioned.

Each service declares the events it emits in its ``events.py``, one frozen dataclass each,
subclassing :class:`Event` with its ``TYPE`` (the routing key, e.g. ``petition.published``) and
``VERSION`` (of the payload's schema); handlers emit instances
(``uow.emit(PetitionPublished(...))``), never a type string and a dict. On the bus an event
is the payload of an :class:`~shared.envelope.Envelope`: its fields, by name, as JSON.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar


@dataclasses.dataclass(frozen=True)
class Event:
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def payload(self) -> dict[str, Any]:
        """The event on the wire: its fields by name (values already JSON data)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
