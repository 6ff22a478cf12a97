"""The integrator's round: pending leaves into the log, in one transaction.

Under the holds and the in-run shuffle (domain/holds.py), at most ``ROUND_LIMIT`` pending leaves
are given contiguous indices. The pending leaves are read from the oldest, a page of
``ROUND_LIMIT`` at a time, until the round is full or none is left: leaves held at the front
(however many) never keep back those behind them. The leaves that can never enter are moved to
dead letters with their reason; their entries, the stored hashes they add, the signs, the
petitions' windows and counts and the new tree head are written with the removal of the pending
rows, in one commit. A crash anywhere before the commit leaves everything pending as it was;
after it, everything is there once: nothing lost, nothing doubled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub_verify import merkle

from services.transparency.commands import LEAVES_RECORDED, withdraw_line
from services.transparency.domain import Dead, LogView, Pending, Placed, plan
from services.transparency.domain.holds import Shuffle
from services.transparency.handlers.ingest import CONSUMER
from services.transparency.storage import log
from shared.clock import utcnow
from shared.consumers import MAX_DEAD_LETTER_CHARS
from shared.db import UnitOfWork

ROUND_LIMIT = 20_000

Read = Callable[[list[int]], list[bytes]]


@dataclass(frozen=True)
class Round:
    integrated: int
    size: int
    dead: int = 0
    held: list[Pending] = field(default_factory=list)  # the leaves seen and held back

    def held_by_kind(self) -> dict[str, tuple[int, datetime | None]]:
        """Per kind: how many are held and when the oldest was received."""
        found: dict[str, tuple[int, datetime | None]] = {}
        for item in self.held:
            count, oldest = found.get(item.kind, (0, None))
            if oldest is None or (item.received_at is not None and item.received_at < oldest):
                oldest = item.received_at
            found[item.kind] = (count + 1, oldest)
        return found


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
    placed, dead, held, view = _gather(uow, current.size, shuffle, limit)
    if dead:
        log.add_dead_letters(uow, [_dead_letter(d) for d in dead])
        log.drop_pending(uow, [d.pending.seq for d in dead])
    if not placed:
        if dead:
            uow.commit()
        else:
            uow.rollback()
        return Round(0, current.size, len(dead), held)
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
    return Round(len(placed), size, len(dead), held)


def _gather(
    uow: UnitOfWork, size: int, shuffle: Shuffle | None, limit: int
) -> tuple[list[Placed], list[Dead], list[Pending], LogView]:
    """Plan the round page by page from the oldest pending leaf. The view carries what earlier
    pages placed: each page's petitions and commitments are read from the log only once, so a
    page never sees the log as if the round had not happened."""
    view = LogView()
    seen_petitions: set[str] = set()
    seen_commitments: set[str] = set()
    placed: list[Placed] = []
    dead: list[Dead] = []
    held: list[Pending] = []
    after = 0
    while len(placed) < limit:
        page = log.pending(uow, limit, after)
        if not page:
            break
        after = page[-1].seq
        petition_ids = {p.petition_id for p in page} - seen_petitions
        commitments = {
            p.commitment for p in page if p.kind == "withdraw" and p.commitment
        } - seen_commitments
        found = log.log_view(uow, petition_ids, commitments)
        for petition_id, known in found.petitions.items():
            view.petitions.setdefault(petition_id, known)
        for commitment, index in found.active_signs.items():
            view.active_signs.setdefault(commitment, index)
        view.spent.update(c for c in found.spent if c not in view.active_signs)
        seen_petitions |= petition_ids
        seen_commitments |= commitments
        step = plan(page, view, size + len(placed), shuffle, limit - len(placed))
        placed.extend(step.placed)
        dead.extend(step.dead)
        held.extend(step.held)
        if len(page) < limit:
            break
    return placed, dead, held, view


def _dead_letter(dead: Dead) -> dict[str, Any]:
    item = dead.pending
    body = {
        "seq": item.seq,
        "kind": item.kind,
        "petition_id": item.petition_id,
        "line": item.line,
        "commitment": item.commitment,
        "count": item.count,
        # NOTE: a withdraw's secret is never written here: it was never published
    }
    return {
        "consumer": CONSUMER,
        "routing_key": LEAVES_RECORDED,
        "reason": f"never integrable: {dead.reason}",
        "body": json.dumps(body)[:MAX_DEAD_LETTER_CHARS],
        "received_at": utcnow(),
    }


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
