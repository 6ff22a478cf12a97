"""A started process freezes what start-up made and collects its young objects less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from shared.runtime.gc import GC_THRESHOLDS
from shared.runtime.gc import settle as settle_garbage_collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_start_up_objects_are_frozen_and_the_thresholds_raised(restored_collector: None) -> None:
    long_lived = [{"route": n} for n in range(1000)]
    frozen = settle_garbage_collector()
    assert gc.get_threshold() == GC_THRESHOLDS
    assert frozen == gc.get_freeze_count() >= len(long_lived)


def test_cycles_made_after_start_are_still_collected(restored_collector: None) -> None:
    settle_garbage_collector()

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # type: ignore[attr-defined]
    del a, b
    assert gc.collect() >= 2
