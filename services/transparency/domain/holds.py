"""Which pending leaves enter the log in this round, and in which order (TLOG_SPEC §2).

Holds: a ``sign`` waits for its petition's ``open``; a ``withdraw`` waits for an active ``sign``
with its commitment; a ``close`` waits until the log's running count for its petition equals its
count; an ``erase`` waits for the ``close``. A held leaf stays pending for a later round and the
others go on. The placed leaves keep the order petitions recorded them in, except that each run
of consecutive signs is shuffled: their order would otherwise tell who signed when, across
petitions. Shuffling a run breaks no hold (a sign only needs the earlier ``open``).

Some leaves can never enter: a second ``open`` of a petition, a ``sign`` of a closed petition, a
``withdraw`` whose sign was withdrawn already, a second ``erase``. They are *dead* (the service
dead-letters them, with the reason) rather than held for ever. A ``close`` whose count never
matches stays held: the two counts differ, a defect to investigate, never something to drop.
"""

from __future__ import annotations

import random
from collections.abc import Callable, MutableSequence, Sequence
from dataclasses import dataclass, field
from datetime import datetime

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
    received_at: datetime | None = None


@dataclass
class PetitionView:
    opened: bool = False
    closed: bool = False
    count: int = 0
    erased: bool = False


@dataclass
class LogView:
    """What the holds need to know of the log so far: the petitions pending leaves name, and the
    active signs (by commitment, the latest index) that pending withdrawals name, and those of
    their commitments whose signs in the log are all withdrawn (``spent``)."""

    petitions: dict[str, PetitionView] = field(default_factory=dict)
    active_signs: dict[str, int] = field(default_factory=dict)
    spent: set[str] = field(default_factory=set)

    def petition(self, petition_id: str) -> PetitionView:
        return self.petitions.setdefault(petition_id, PetitionView())


@dataclass(frozen=True)
class Placed:
    """A pending leaf given its index; ``sign_index`` for a withdraw (the sign it deactivates)."""

    index: int
    pending: Pending
    sign_index: int | None = None


@dataclass(frozen=True)
class Dead:
    """A pending leaf that can never enter the log, and why."""

    pending: Pending
    reason: str


@dataclass
class Plan:
    placed: list[Placed]
    dead: list[Dead]
    held: list[Pending]  # the leaves looked at that wait (a later round may place them)


def plan_round(
    pending: Sequence[Pending],
    view: LogView,
    size: int,
    shuffle: Shuffle | None = None,
) -> list[Placed]:
    """The leaves to append after ``size`` leaves, in order; ``view`` is updated to match."""
    return plan(pending, view, size, shuffle).placed


def plan(
    pending: Sequence[Pending],
    view: LogView,
    size: int,
    shuffle: Shuffle | None = None,
    limit: int | None = None,
) -> Plan:
    """:func:`plan_round`, with the dead and held leaves; at most ``limit`` placed (the pending
    leaves after the one that reaches it are left for a later round, unexamined)."""
    chosen, dead, held = _choose(pending, _copy(view), limit)
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
            view.spent.discard(item.commitment)
        elif item.kind == "withdraw":
            assert item.commitment is not None
            sign_index = view.active_signs.pop(item.commitment)
            view.spent.add(item.commitment)
            petition.count -= 1
        elif item.kind == "close":
            petition.closed = True
        elif item.kind == "erase":
            petition.erased = True
        placed.append(Placed(index, item, sign_index))
    return Plan(placed, dead, held)


def _copy(view: LogView) -> LogView:
    return LogView(
        {p: PetitionView(v.opened, v.closed, v.count, v.erased) for p, v in view.petitions.items()},
        dict(view.active_signs),
        set(view.spent),
    )


def _choose(
    pending: Sequence[Pending], view: LogView, limit: int | None
) -> tuple[list[Pending], list[Dead], list[Pending]]:
    """The pending leaves no hold keeps back, in the order they came, the dead ones and the
    held ones (``view`` is a scratch copy, advanced as each is chosen)."""
    # Several signs may share a commitment (a caller's choice); each active one counts.
    active: dict[str, int] = {c: 1 for c in view.active_signs}
    # commitments of held signs: a withdraw naming one may still find it active later
    waiting_signs: set[str] = set()
    chosen: list[Pending] = []
    dead: list[Dead] = []
    held: list[Pending] = []
    for item in pending:
        if limit is not None and len(chosen) >= limit:
            break
        petition = view.petition(item.petition_id)
        reason = None
        wait = False
        if item.kind == "open":
            if petition.opened:
                reason = "a second open of a petition already opened"
            else:
                petition.opened = True
        elif item.kind == "sign":
            assert item.commitment is not None
            if petition.closed:
                reason = "a sign of a petition already closed"
            elif not petition.opened:
                wait = True
                waiting_signs.add(item.commitment)
            else:
                petition.count += 1
                active[item.commitment] = active.get(item.commitment, 0) + 1
        elif item.kind == "withdraw":
            assert item.commitment is not None
            if active.get(item.commitment, 0) > 0:
                active[item.commitment] -= 1
                petition.count -= 1
                if active[item.commitment] == 0:
                    view.spent.add(item.commitment)
            elif item.commitment in view.spent and item.commitment not in waiting_signs:
                reason = "a withdraw of a sign already withdrawn"
            else:
                wait = True
        elif item.kind == "close":
            if not petition.opened or petition.closed or petition.count != item.count:
                wait = True
            else:
                petition.closed = True
        elif item.kind == "erase":
            if petition.erased:
                reason = "a second erase of a petition"
            elif not petition.closed:
                wait = True
            else:
                petition.erased = True
        else:  # pragma: no cover - schemas only store the five kinds
            wait = True
        if reason is not None:
            dead.append(Dead(item, reason))
        elif wait:
            held.append(item)
        else:
            chosen.append(item)
    return chosen, dead, held


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
