"""When a token names a kid we do not hold: fetch at once, but not for a flood of them."""

from __future__ import annotations

from shared import key_refetch
from shared.key_refetch import RefetchGate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_kid_never_seen_is_fetched_at_once_even_just_after_a_fetch():
    clock = Clock()
    gate = RefetchGate(clock)
    assert gate.may_fetch_for("first")
    gate.fetched("first", found=True)
    clock.now += 0.1
    assert gate.may_fetch_for("rotated")  # a provider restarted with a new key


def test_a_kid_looked_for_in_vain_waits_for_the_next_fetch():
    clock = Clock()
    gate = RefetchGate(clock)
    assert gate.may_fetch_for("bogus")
    gate.fetched("bogus", found=False)
    clock.now += key_refetch.MISSED_KID_REFETCH_SECONDS - 1
    assert not gate.may_fetch_for("bogus")
    clock.now += 1
    assert gate.may_fetch_for("bogus")


def test_a_flood_of_invented_kids_gets_a_few_fetches_then_one_per_refill():
    clock = Clock()
    gate = RefetchGate(clock)
    allowed = 0
    for n in range(100):
        if gate.may_fetch_for(f"kid-{n}"):
            allowed += 1
            gate.fetched(f"kid-{n}", found=False)
    assert allowed == key_refetch.BURST
    clock.now += key_refetch.REFILL_SECONDS
    assert gate.may_fetch_for("kid-new")
    assert not gate.may_fetch_for("kid-newer")


def test_the_kids_remembered_are_bounded():
    clock = Clock()
    gate = RefetchGate(clock)
    for n in range(key_refetch.REMEMBERED_MISSES + 50):
        gate.fetched(f"kid-{n}", found=False)
    assert len(gate._missed) == key_refetch.REMEMBERED_MISSES
