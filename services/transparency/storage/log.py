"""Statements on the log's tables (one unit of work each caller passes in)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.transparency.domain import LogView, Pending, PetitionView
from services.transparency.storage.tables import (
    checkpoints,
    log_entries,
    log_hashes,
    log_petitions,
    log_signs,
    log_state,
    pending_leaves,
    witness_sizes,
)
from shared.consumers import DEAD_LETTERS
from shared.db import UnitOfWork

CHUNK = 5000  # rows a statement, well under every backend's parameter limit


@dataclass(frozen=True)
class State:
    size: int
    root: bytes
    signed_size: int | None
    signed_root: bytes | None
    published_size: int | None
    published_note: str | None
    published_at: datetime | None


def state(uow: UnitOfWork, lock: bool = False) -> State:
    query = sa.select(log_state).where(log_state.c.id == 1)
    if lock and uow.dialect == "postgresql":
        query = query.with_for_update()
    row = uow.execute(query).one()
    return State(
        int(row.size),
        bytes(row.root),
        None if row.signed_size is None else int(row.signed_size),
        None if row.signed_root is None else bytes(row.signed_root),
        None if row.published_size is None else int(row.published_size),
        row.published_note,
        row.published_at,
    )


def set_tree(uow: UnitOfWork, size: int, root: bytes) -> None:
    uow.execute(sa.update(log_state).where(log_state.c.id == 1).values(size=size, root=root))


def set_signed(uow: UnitOfWork, size: int, root: bytes) -> None:
    uow.execute(
        sa.update(log_state).where(log_state.c.id == 1).values(signed_size=size, signed_root=root)
    )


def publish(uow: UnitOfWork, size: int, root: bytes, note: str, now: datetime) -> None:
    uow.execute(
        sa.update(log_state)
        .where(log_state.c.id == 1)
        .values(published_size=size, published_note=note, published_at=now)
    )
    row = {"size": size, "root": root, "note": note, "published_at": now}
    uow.insert_unless_exists(checkpoints, row)


def witness_sizes_known(uow: UnitOfWork) -> dict[str, int]:
    query = sa.select(witness_sizes.c.name, witness_sizes.c.size)
    return {name: int(size) for name, size in uow.execute(query)}


def save_witness_sizes(uow: UnitOfWork, sizes: dict[str, int]) -> None:
    for name, size in sorted(sizes.items()):
        updated = uow.execute(
            sa.update(witness_sizes).where(witness_sizes.c.name == name).values(size=size)
        )
        if not updated.rowcount:
            uow.insert_unless_exists(witness_sizes, {"name": name, "size": size})


# Pending leaves


def add_pending(uow: UnitOfWork, rows: list[dict[str, Any]]) -> int:
    return uow.insert_many_unless_exist(pending_leaves, rows)


def add_dead_letters(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    if rows:
        uow.execute(sa.insert(DEAD_LETTERS), rows)


def pending(uow: UnitOfWork, limit: int, after: int = 0) -> list[Pending]:
    """The next ``limit`` pending leaves in the order they came, after sequence ``after``."""
    query = (
        sa.select(pending_leaves)
        .where(pending_leaves.c.seq > after)
        .order_by(pending_leaves.c.seq)
        .limit(limit)
    )
    rows = uow.execute(query).all()
    return [
        Pending(
            int(r.seq),
            r.kind,
            r.petition_id,
            r.line,
            r.commitment,
            r.secret,
            None if r.count is None else int(r.count),
            r.received_at,
        )
        for r in rows
    ]


def pending_count(uow: UnitOfWork) -> int:
    return int(uow.execute(sa.select(sa.func.count()).select_from(pending_leaves)).scalar_one())


def drop_pending(uow: UnitOfWork, seqs: Sequence[int]) -> None:
    for chunk in _chunks(list(seqs)):
        uow.execute(sa.delete(pending_leaves).where(pending_leaves.c.seq.in_(chunk)))


# What the holds need


def log_view(uow: UnitOfWork, petition_ids: Iterable[str], commitments: Iterable[str]) -> LogView:
    view = LogView()
    for chunk in _chunks(sorted(set(petition_ids))):
        for r in uow.execute(
            sa.select(log_petitions).where(log_petitions.c.petition_id.in_(chunk))
        ):
            view.petitions[r.petition_id] = PetitionView(
                r.open_index is not None,
                r.close_index is not None,
                int(r.count),
                r.erase_index is not None,
            )
    for chunk in _chunks(sorted(set(commitments))):
        query = (
            sa.select(log_signs.c.commitment, sa.func.max(log_signs.c.idx))
            .where(log_signs.c.commitment.in_(chunk), log_signs.c.withdrawn_by.is_(None))
            .group_by(log_signs.c.commitment)
        )
        for commitment, index in uow.execute(query):
            view.active_signs[commitment] = int(index)
        logged = sa.select(log_signs.c.commitment).where(log_signs.c.commitment.in_(chunk))
        view.spent.update(set(uow.execute(logged.distinct()).scalars()) - set(view.active_signs))
    return view


# Writing the integrated leaves


def add_entries(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        uow.execute(sa.insert(log_entries), chunk)


def add_hashes(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        uow.execute(sa.insert(log_hashes), chunk)


def add_signs(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        uow.execute(sa.insert(log_signs), chunk)


def mark_withdrawn(uow: UnitOfWork, withdrawn: dict[int, int]) -> None:
    """``withdrawn``: sign index -> index of the withdraw leaf."""
    if withdrawn:
        statement = (
            sa.update(log_signs)
            .where(log_signs.c.idx == sa.bindparam("sign_idx"))
            .values(withdrawn_by=sa.bindparam("by"))
        )
        uow.execute(statement, [{"sign_idx": s, "by": w} for s, w in withdrawn.items()])


def save_petitions(uow: UnitOfWork, known: set[str], rows: dict[str, dict[str, Any]]) -> None:
    """Insert the petitions new to the log, update the others (``rows``: id -> columns)."""
    new = [{"petition_id": p, **v} for p, v in rows.items() if p not in known]
    if new:
        uow.execute(sa.insert(log_petitions), new)
    for petition_id, values in rows.items():
        if petition_id in known:
            uow.execute(
                sa.update(log_petitions)
                .where(log_petitions.c.petition_id == petition_id)
                .values(**values)
            )


def known_petitions(uow: UnitOfWork, petition_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(petition_ids))):
        for r in uow.execute(
            sa.select(log_petitions).where(log_petitions.c.petition_id.in_(chunk))
        ):
            found[r.petition_id] = {
                "open_index": r.open_index,
                "close_index": r.close_index,
                "erase_index": r.erase_index,
                "count": int(r.count),
            }
    return found


# Reading the log


def hashes(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    for chunk in _chunks(sorted(set(ids))):
        query = sa.select(log_hashes.c.id, log_hashes.c.hash).where(log_hashes.c.id.in_(chunk))
        found.update((int(i), bytes(h)) for i, h in uow.execute(query))
    return found


def entry_lines(uow: UnitOfWork, start: int, stop: int) -> list[str]:
    query = (
        sa.select(log_entries.c.line)
        .where(log_entries.c.idx >= start, log_entries.c.idx < stop)
        .order_by(log_entries.c.idx)
    )
    return list(uow.execute(query).scalars())


def entry_line(uow: UnitOfWork, index: int) -> str | None:
    query = sa.select(log_entries.c.line).where(log_entries.c.idx == index)
    found: str | None = uow.execute(query).scalar_one_or_none()
    return found


def latest_sign(uow: UnitOfWork, commitment: str, below: int) -> int | None:
    query = sa.select(sa.func.max(log_signs.c.idx)).where(
        log_signs.c.commitment == commitment, log_signs.c.idx < below
    )
    found = uow.execute(query).scalar_one_or_none()
    return None if found is None else int(found)


def petition(uow: UnitOfWork, petition_id: str) -> dict[str, Any] | None:
    return known_petitions(uow, [petition_id]).get(petition_id)


def count_changes_from(uow: UnitOfWork, petition_id: str, start: int) -> int:
    """How much the leaves of ``petition_id`` from index ``start`` on changed its count."""
    query = (
        sa.select(log_entries.c.kind, sa.func.count())
        .where(
            log_entries.c.petition_id == petition_id,
            log_entries.c.idx >= start,
            log_entries.c.kind.in_(("sign", "withdraw")),
        )
        .group_by(log_entries.c.kind)
    )
    by_kind = {kind: int(n) for kind, n in uow.execute(query)}
    return by_kind.get("sign", 0) - by_kind.get("withdraw", 0)


def published_sizes(uow: UnitOfWork, sizes: Sequence[int]) -> dict[int, bytes]:
    query = sa.select(checkpoints.c.size, checkpoints.c.root).where(
        checkpoints.c.size.in_(list(sizes))
    )
    return {int(s): bytes(r) for s, r in uow.execute(query)}


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
