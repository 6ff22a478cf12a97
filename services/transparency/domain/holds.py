"""Which pending leaves enter the log in this round, and in which order (TLOG_SPEC §2).

Holds: a ``sign`` waits for its petition's ``open``; a ``withdraw`` waits for an active ``sign``
with its commitment; a ``close`` waits until the log's running count for its petition equals its
count; an ``erase`` waits for the ``close``. A held leaf stays pending for a later round and the
others go on. The placed leaves keep the order petitions recorded them in, except that each run
of consecutive signs is shuffled: their order would otherwise tell who signed when, across
petitions. Shuffling a run breaks no hold (a sign only needs the earlier ``open``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, MutableSequence, Sequence
from dataclasses import dataclass, field

Shuffle = Callable[[MutableSequence["Pending"]], None]


@dataclass(frozen=True)
class Pending:
    """A leaf petitions recorded, as stored until it is integrated."""

    seq: int
    kind: str  # open | sign | withdraw | close | erase
    petition_id: str
    line: str | None = None  # None for a withdraw: its line names the sign's index
    commitment: str | None = None
    secret: str | None = None
    count: int | None = None


@dataclass
class PetitionView:
    opened: bool = False
    closed: bool = False
    count: int = 0


@dataclass
class LogView:
    """What the holds need to know of the log so far: the petitions pending leaves name, and the
    active signs (by commitment, the latest index) that pending withdrawals name."""

    petitions: dict[str, PetitionView] = field(default_factory=dict)
    active_signs: dict[str, int] = field(default_factory=dict)

    def petition(self, petition_id: str) -> PetitionView:
        return self.petitions.setdefault(petition_id, PetitionView())


@dataclass(frozen=True)
class Placed:
    """A pending leaf given its index; ``sign_index`` for a withdraw (the sign it deactivates)."""

    index: int
    pending: Pending
    sign_index: int | None = None


def plan_round(
    pending: Sequence[Pending],
    view: LogView,
    size: int,
    shuffle: Shuffle | None = None,
) -> list[Placed]:
    """The leaves to append after ``size`` leaves, in order; ``view`` is updated to match."""
    chosen = _choose(pending, _copy(view))
    ordered = _shuffled_runs(chosen, shuffle or random.SystemRandom().shuffle)
    placed: list[Placed] = []
    for offset, item in enumerate(ordered):
        index = size + offset
        petition = view.petition(item.petition_id)
        sign_index = None
        if item.kind == "open":
            petition.opened = True
        elif item.kind == "sign":
            petition.count += 1
            assert item.commitment is not None
            view.active_signs[item.commitment] = index
        elif item.kind == "withdraw":
            assert item.commitment is not None
            sign_index = view.active_signs.pop(item.commitment)
            petition.count -= 1
        elif item.kind == "close":
            petition.closed = True
        placed.append(Placed(index, item, sign_index))
    return placed


def _copy(view: LogView) -> LogView:
    return LogView(
        {p: PetitionView(v.opened, v.closed, v.count) for p, v in view.petitions.items()},
        dict(view.active_signs),
    )


def _choose(pending: Sequence[Pending], view: LogView) -> list[Pending]:
    """The pending leaves no hold keeps back, in the order they came (``view`` is a scratch
    copy, advanced as each is chosen)."""
    # Several signs may share a commitment (a caller's choice); each active one counts.
    active: dict[str, int] = {c: 1 for c in view.active_signs}
    chosen: list[Pending] = []
    for item in pending:
        petition = view.petition(item.petition_id)
        if item.kind == "open":
            if petition.opened:
                continue  # a second open of the same petition waits for ever (never logged)
            petition.opened = True
        elif item.kind == "sign":
            if not petition.opened or petition.closed:
                continue
            petition.count += 1
            assert item.commitment is not None
            active[item.commitment] = active.get(item.commitment, 0) + 1
        elif item.kind == "withdraw":
            assert item.commitment is not None
            if active.get(item.commitment, 0) <= 0:
                continue
            active[item.commitment] -= 1
            petition.count -= 1
        elif item.kind == "close":
            if not petition.opened or petition.closed or petition.count != item.count:
                continue
            petition.closed = True
        elif item.kind == "erase":
            if not petition.closed:
                continue
        else:  # pragma: no cover - schemas only store the five kinds
            continue
        chosen.append(item)
    return chosen


def _shuffled_runs(chosen: list[Pending], shuffle: Shuffle) -> list[Pending]:
    ordered: list[Pending] = []
    run: list[Pending] = []
    for item in chosen:
        if item.kind == "sign":
            run.append(item)
            continue
        shuffle(run)
        ordered.extend(run)
        run = []
        ordered.append(item)
    shuffle(run)
    ordered.extend(run)
    return ordered
