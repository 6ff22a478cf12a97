"""Events are frozen, typed and versioned; what goes on the bus is their fields."""

from __future__ import annotations

import dataclasses

import pytest

from shared.db import UnitOfWork
from shared.events import Event


@dataclasses.dataclass(frozen=True)
class ThingHappened(Event):
    TYPE = "thing.happened"
    VERSION = 2

    thing_id: str
    count: int


def test_an_event_is_its_fields_on_the_wire_and_cannot_change():
    event = ThingHappened("t-1", 3)
    assert event.payload() == {"thing_id": "t-1", "count": 3}
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.count = 4  # type: ignore[misc]


def test_a_unit_of_work_records_an_event_as_its_envelope():
    uow = UnitOfWork(lambda: None, "things")  # type: ignore[arg-type, return-value]
    envelope = uow.emit(ThingHappened("t-1", 3))
    assert (envelope.type, envelope.version, envelope.source) == ("thing.happened", 2, "things")
    assert envelope.payload == {"thing_id": "t-1", "count": 3}
