"""The integrator's round: pending leaves into the log, in one transaction.

Under the holds and the in-run shuffle (domain/holds.py), at most ``ROUND_LIMIT`` pending leaves
are given contiguous indices; their entries, the stored hashes they add, the signs, the
petitions' windows and counts and the new tree head are written with the removal of the pending
rows, in one commit. A crash anywhere before the commit leaves everything pending as it was;
after it, everything is there once: nothing lost, nothing doubled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub_verify import merkle

from services.transparency.commands import withdraw_line
from services.transparency.domain import LogView, Placed, plan_round
from services.transparency.domain.holds import Shuffle
from services.transparency.storage import log
from shared.db import UnitOfWork

ROUND_LIMIT = 20_000

Read = Callable[[list[int]], list[bytes]]


@dataclass(frozen=True)
class Round:
    integrated: int
    size: int


def hash_reader(uow: UnitOfWork, cache: dict[int, bytes] | None = None) -> Read:
    """A ``read`` for hub_verify.merkle: stored hashes by index, each fetched once."""
    known = {} if cache is None else cache

    def read(ids: list[int]) -> list[bytes]:
        missing = [i for i in ids if i not in known]
        if missing:
            found = log.hashes(uow, missing)
            if len(found) != len(set(missing)):
                raise LookupError("the log lacks stored hashes it should have")
            known.update(found)
        return [known[i] for i in ids]

    return read


def integrate(uow: UnitOfWork, shuffle: Shuffle | None = None, limit: int = ROUND_LIMIT) -> Round:
    current = log.state(uow, lock=True)
    waiting = log.pending(uow, limit)
    if not waiting:
        uow.rollback()
        return Round(0, current.size)
    petition_ids = {p.petition_id for p in waiting}
    commitments = {p.commitment for p in waiting if p.kind == "withdraw" and p.commitment}
    view = log.log_view(uow, petition_ids, commitments)
    placed = plan_round(waiting, view, current.size, shuffle)
    if not placed:
        uow.rollback()
        return Round(0, current.size)
    cache: dict[int, bytes] = {}
    read = hash_reader(uow, cache)
    entries: list[dict[str, Any]] = []
    new_hashes: list[dict[str, Any]] = []
    signs: list[dict[str, Any]] = []
    withdrawn: dict[int, int] = {}
    windows: dict[str, dict[str, Any]] = {}
    for item in placed:
        line = _line(item)
        leaf = merkle.leaf_hash(line.encode("ascii"))
        first = merkle.stored_hash_count(item.index)
        for offset, value in enumerate(merkle.stored_hashes_for_leaf(item.index, leaf, read)):
            cache[first + offset] = value
            new_hashes.append({"id": first + offset, "hash": value})
        pending = item.pending
        entries.append(
            {
                "idx": item.index,
                "petition_id": pending.petition_id,
                "kind": pending.kind,
                "line": line,
            }
        )
        if pending.kind == "sign":
            signs.append(
                {
                    "idx": item.index,
                    "commitment": pending.commitment,
                    "petition_id": pending.petition_id,
                }
            )
        elif pending.kind == "withdraw":
            assert item.sign_index is not None
            withdrawn[item.sign_index] = item.index
        if pending.kind in ("open", "close", "erase"):
            windows.setdefault(pending.petition_id, {})[f"{pending.kind}_index"] = item.index
    size = current.size + len(placed)
    root = merkle.tree_root(size, read)
    log.add_entries(uow, entries)
    log.add_hashes(uow, new_hashes)
    # signs withdrawn in this very round are written already withdrawn
    _mark_new_signs(signs, withdrawn)
    log.add_signs(uow, signs)
    log.mark_withdrawn(uow, {s: w for s, w in withdrawn.items() if s < current.size})
    _save_petitions(uow, view, {p.pending.petition_id for p in placed}, windows)
    log.drop_pending(uow, [p.pending.seq for p in placed])
    log.set_tree(uow, size, root)
    uow.commit()
    return Round(len(placed), size)


def _line(item: Placed) -> str:
    pending = item.pending
    if pending.kind == "withdraw":
        assert item.sign_index is not None
        return withdraw_line(pending.petition_id, item.sign_index, pending.secret)
    assert pending.line is not None
    return pending.line


def _mark_new_signs(signs: list[dict[str, Any]], withdrawn: dict[int, int]) -> None:
    for row in signs:
        row["withdrawn_by"] = withdrawn.get(row["idx"])


def _save_petitions(
    uow: UnitOfWork, view: LogView, touched: set[str], windows: dict[str, dict[str, Any]]
) -> None:
    known = log.known_petitions(uow, touched)
    rows = {}
    for petition_id in touched:
        values = {**known.get(petition_id, {}), **windows.get(petition_id, {})}
        values["count"] = view.petition(petition_id).count
        rows[petition_id] = values
    log.save_petitions(uow, set(known), rows)
