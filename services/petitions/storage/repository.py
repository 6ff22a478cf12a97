"""Petitions, signatures and counts through one unit of work (core SQL: no ORM round trips)."""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.petitions.domain import Petition
from services.petitions.storage.statements import (
    PETITIONS_BY_ID,
    SIGN_AND_COUNT,
    SIGNING_PETITIONS,
    SIGNING_PETITIONS_LOCKED,
)
from services.petitions.storage.tables import (
    COUNT_SHARDS,
    count_announcements,
    count_shards,
    petition_keys,
    petitions,
    signatures,
    sponsors,
    thresholds_reached,
)
from shared.clock import as_utc
from shared.db import UnitOfWork

UNDECLARED = ""  # the département bucket of citizens who declared none


def _petition(row: sa.Row[Any]) -> Petition:
    return _petition_values(row._mapping)


def _petition_values(mapping: Any) -> Petition:
    values: dict[str, Any] = {k: as_utc(v) for k, v in mapping.items()}
    return Petition(**values)


def _shard() -> int:
    """A count shard: each shard row's lock is held by about 1/COUNT_SHARDS of the writers."""
    return random.randrange(COUNT_SHARDS)  # noqa: S311 - load spreading, not security


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class PetitionRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    # -- petitions -------------------------------------------------------------------------

    def get(self, petition_id: str, lock: bool = False, share: bool = False) -> Petition | None:
        """``lock``: FOR UPDATE; ``share``: FOR SHARE (PostgreSQL; SQLite has one writer)."""
        query = sa.select(petitions).where(petitions.c.id == petition_id)
        if lock:
            query = query.with_for_update()
        elif share and self.uow.dialect == "postgresql":
            query = query.with_for_update(read=True)
        row = self.uow.execute(query).first()
        return _petition(row) if row else None

    def get_many(self, petition_ids: list[str]) -> dict[str, Petition]:
        rows = self.uow.execute(PETITIONS_BY_ID, {"ids": petition_ids}).all()
        return {row.id: _petition(row) for row in rows}

    def get_for_signing(self, petition_ids: list[str]) -> dict[str, tuple[Petition, bytes | None]]:
        """The petitions a batch signs, each with its key (None before the log), read FOR SHARE
        on PostgreSQL: ending a petition (an UPDATE of its row) waits for the signing
        transactions in flight, so that no signature commits after its close's count is read."""
        locked = self.uow.dialect == "postgresql"
        statement = SIGNING_PETITIONS_LOCKED if locked else SIGNING_PETITIONS
        rows = self.uow.execute(statement, {"ids": petition_ids}).all()
        found = {}
        for row in rows:
            values = dict(row._mapping)
            key = values.pop("key_")
            found[row.id] = (_petition_values(values), bytes(key) if key is not None else None)
        return found

    def add(self, petition: Petition) -> None:
        self.uow.execute(sa.insert(petitions).values(**asdict(petition)))
        self.uow.execute(
            sa.insert(count_announcements).values(petition_id=petition.id, announced_count=0)
        )

    def update(self, petition: Petition) -> None:
        values = {k: v for k, v in asdict(petition).items() if k != "id"}
        self.uow.execute(sa.update(petitions).where(petitions.c.id == petition.id).values(**values))

    def page(
        self, statuses: tuple[str, ...], limit: int, offset: int, search: str | None = None
    ) -> list[Petition]:
        query = sa.select(petitions).where(petitions.c.status.in_(statuses))
        if search:
            pattern = _like(search)
            query = query.where(
                sa.or_(
                    petitions.c.title.ilike(pattern, escape="\\"),
                    petitions.c.text.ilike(pattern, escape="\\"),
                )
            )
        query = query.order_by(petitions.c.created_at.desc(), petitions.c.id)
        rows = self.uow.execute(query.limit(limit).offset(offset)).all()
        return [_petition(r) for r in rows]

    def expired(self, now: datetime, limit: int = 100) -> list[Petition]:
        """Open petitions past their deadline (not locked: each is closed under its lock)."""
        rows = self.uow.execute(
            sa.select(petitions)
            .where(petitions.c.status == "open", petitions.c.deadline <= now)
            .order_by(petitions.c.deadline)
            .limit(limit)
        ).all()
        return [_petition(r) for r in rows]

    # -- keys of the transparency log (k_P) ----------------------------------------------------

    def key(self, petition_id: str) -> bytes | None:
        found = self.uow.execute(
            sa.select(petition_keys.c.key).where(petition_keys.c.petition_id == petition_id)
        ).scalar()
        return bytes(found) if found is not None else None

    def add_key(self, petition_id: str, key: bytes, now: datetime) -> bytes | None:
        """Keep ``key`` as the petition's; None if it already had one (left as it was)."""
        values = {"petition_id": petition_id, "key": key, "created_at": now}
        return key if self.uow.insert_unless_exists(petition_keys, values) else None

    def delete_key(self, petition_id: str) -> bool:
        deleted = self.uow.execute(
            sa.delete(petition_keys).where(petition_keys.c.petition_id == petition_id)
        )
        return bool(deleted.rowcount)

    def unlogged_signatures(self, petition_id: str) -> list[str]:
        """Ids of the petition's signatures made before the log (no commitment), oldest first."""
        query = (
            sa.select(signatures.c.id)
            .where(signatures.c.petition_id == petition_id, signatures.c.commitment.is_(None))
            .order_by(signatures.c.signed_at, signatures.c.id)
        )
        return [str(i) for i in self.uow.execute(query).scalars()]

    def set_log_fields(self, rows: list[dict[str, str]]) -> None:
        """Each row's nullifier and commitment (``b_id``, ``b_n``, ``b_c``)."""
        if not rows:
            return
        self.uow.execute(
            sa.update(signatures)
            .where(signatures.c.id == sa.bindparam("b_id"))
            .values(nullifier=sa.bindparam("b_n"), commitment=sa.bindparam("b_c")),
            rows,
        )

    # -- co-sponsors -----------------------------------------------------------------------

    def add_sponsor(self, row: dict[str, Any]) -> bool:
        """Record a co-sponsor; False if this citizen already co-sponsors the petition."""
        return self.uow.insert_unless_exists(sponsors, row)

    def sponsor_counts(self, petition_ids: list[str]) -> dict[str, int]:
        if not petition_ids:
            return {}
        rows = self.uow.execute(
            sa.select(sponsors.c.petition_id, sa.func.count())
            .where(sponsors.c.petition_id.in_(petition_ids))
            .group_by(sponsors.c.petition_id)
        ).all()
        found = {pid: int(n) for pid, n in rows}
        return {pid: found.get(pid, 0) for pid in petition_ids}

    # -- signatures and counts -------------------------------------------------------------

    def add_signatures(self, rows: list[dict[str, Any]]) -> set[str]:
        """Insert the signatures and count them; the ids actually inserted (a citizen who had
        already signed, even earlier in ``rows``, inserts nothing). Every row has the same
        ``signed_at`` (one batch, one moment).

        NOTE: rows go in (petition, citizen) order, and shard rows in key order, so that two
        concurrent batches take their locks in the same order and cannot deadlock.
        """
        if not rows:
            return set()
        ordered = sorted(rows, key=lambda r: (r["petition_id"], r["citizen_sub"]))
        if self.uow.dialect == "postgresql":
            return self._add_signatures_postgresql(ordered)
        # NOTE: executemany of one statement; SQLAlchemy sends it as multi-row VALUES
        # ("insertmanyvalues").
        statement = self.uow.insert(signatures).on_conflict_do_nothing().returning(signatures.c.id)
        inserted = {str(i) for i in self.uow.execute(statement, ordered).scalars()}
        deltas: dict[tuple[str, str], int] = {}
        for row in ordered:
            if row["id"] in inserted:
                key = (row["petition_id"], row["departement"] or UNDECLARED)
                deltas[key] = deltas.get(key, 0) + 1
        self.add_to_counts(deltas)
        return inserted

    def _add_signatures_postgresql(self, ordered: list[dict[str, Any]]) -> set[str]:
        """The signatures and their counts in one statement, one round trip whatever the batch.

        NOTE: SQLAlchemy does not cache PostgreSQL's ON CONFLICT statements (its ``Insert`` has
        ``inherit_cache = False``): built with ``insert().on_conflict_...()``, the two statements
        of a batch were compiled anew every time (what that cost: docs/capacity.md). A text
        statement is compiled once, and the rows travel as one array per column.
        """
        result = self.uow.execute(
            SIGN_AND_COUNT,
            {
                "ids": [r["id"] for r in ordered],
                "petition_ids": [r["petition_id"] for r in ordered],
                "subs": [r["citizen_sub"] for r in ordered],
                "departements": [r["departement"] for r in ordered],
                "nullifiers": [r["nullifier"] for r in ordered],
                "commitments": [r["commitment"] for r in ordered],
                "signed_at": ordered[0]["signed_at"],
                "undeclared": UNDECLARED,
                "shards": COUNT_SHARDS,
            },
        )
        return {str(i) for i in result.scalars()}

    def add_to_counts(self, deltas: dict[tuple[str, str], int]) -> None:
        """One upsert for many (petition, département) counts, each on a random shard."""
        if not deltas:
            return
        values = [
            {"petition_id": pid, "departement": dep, "shard": _shard(), "count": delta}
            for (pid, dep), delta in sorted(deltas.items())
        ]
        statement = self.uow.insert(count_shards)
        statement = statement.on_conflict_do_update(
            index_elements=["petition_id", "departement", "shard"],
            set_={"count": count_shards.c.count + statement.excluded.count},
        )
        # NOTE: RETURNING makes SQLAlchemy send one multi-row statement (insertmanyvalues);
        # without it psycopg2's executemany sends one statement per row.
        self.uow.execute(statement.returning(count_shards.c.shard), values).all()

    def remove_signature(self, petition_id: str, citizen_sub: str) -> tuple[str, str | None] | None:
        """Delete the citizen's signature and uncount it: (its id, its commitment), or None."""
        row = self.uow.execute(
            sa.delete(signatures)
            .where(signatures.c.petition_id == petition_id, signatures.c.citizen_sub == citizen_sub)
            .returning(signatures.c.id, signatures.c.departement, signatures.c.commitment)
        ).first()
        if row is None:
            return None
        self.add_to_counts({(petition_id, row.departement or UNDECLARED): -1})
        return str(row.id), row.commitment

    def counts(self, petition_ids: list[str]) -> dict[str, int]:
        if not petition_ids:
            return {}
        rows = self.uow.execute(
            sa.select(count_shards.c.petition_id, sa.func.sum(count_shards.c.count))
            .where(count_shards.c.petition_id.in_(petition_ids))
            .group_by(count_shards.c.petition_id)
        ).all()
        found = {pid: int(total or 0) for pid, total in rows}
        return {pid: found.get(pid, 0) for pid in petition_ids}

    def counts_by_departement(self, petition_id: str) -> dict[str, int]:
        rows = self.uow.execute(
            sa.select(count_shards.c.departement, sa.func.sum(count_shards.c.count))
            .where(count_shards.c.petition_id == petition_id)
            .group_by(count_shards.c.departement)
        ).all()
        return {d: int(n) for d, n in rows if d != UNDECLARED and n}

    def recount(self, petition_id: str) -> int:
        """The count from the signature rows themselves (for the recount job)."""
        return int(
            self.uow.execute(
                sa.select(sa.func.count())
                .select_from(signatures)
                .where(signatures.c.petition_id == petition_id)
            ).scalar_one()
        )

    def anonymise_citizen(self, sub: str) -> tuple[int, int]:
        """Replace the citizen's subject by a per-row random one: counts stay, links go."""
        erased = sa.literal("erased:") + signatures.c.id
        signed = self.uow.execute(
            sa.update(signatures).where(signatures.c.citizen_sub == sub).values(citizen_sub=erased)
        ).rowcount
        self.uow.execute(
            sa.update(sponsors)
            .where(sponsors.c.citizen_sub == sub)
            .values(citizen_sub=sa.literal("erased:") + sponsors.c.id)
        )
        authored = self.uow.execute(
            sa.update(petitions)
            .where(petitions.c.author_sub == sub)
            .values(author_sub=sa.literal("erased:") + petitions.c.id)
        ).rowcount
        return int(signed), int(authored)

    # -- announcements ---------------------------------------------------------------------

    def changed_counts(self, limit: int = 500) -> list[tuple[str, int]]:
        """Petitions whose count differs from the one last announced."""
        total = sa.func.sum(count_shards.c.count)
        announced = count_announcements.c.announced_count
        rows = self.uow.execute(
            sa.select(count_shards.c.petition_id, total)
            .join(
                count_announcements, count_announcements.c.petition_id == count_shards.c.petition_id
            )
            .group_by(count_shards.c.petition_id, announced)
            .having(total != announced)
            .limit(limit)
        ).all()
        return [(pid, int(n)) for pid, n in rows]

    def claim_announcements(self, petition_ids: list[str], not_since: datetime) -> list[str]:
        """Lock these petitions' announcement rows, but those another replica holds and those
        announced after ``not_since`` (each replica ticks on its own: without this, N replicas
        would announce a petition up to N times a second)."""
        if not petition_ids:
            return []
        table = count_announcements
        rows = self.uow.execute(
            sa.select(table.c.petition_id)
            .where(table.c.petition_id.in_(sorted(petition_ids)))
            .where(sa.or_(table.c.announced_at.is_(None), table.c.announced_at <= not_since))
            .order_by(count_announcements.c.petition_id)
            .with_for_update(skip_locked=True)
        ).all()
        return [str(r.petition_id) for r in rows]

    def record_announcements(self, counts: dict[str, int], now: datetime) -> None:
        table = count_announcements
        self.uow.execute(
            sa.update(table)
            .where(table.c.petition_id == sa.bindparam("b_petition_id"))
            .values(announced_count=sa.bindparam("b_count"), announced_at=now),
            [{"b_petition_id": pid, "b_count": n} for pid, n in sorted(counts.items())],
        )

    def reach_threshold(self, petition_id: str, threshold: int, now: datetime) -> bool:
        """Record that the petition reached ``threshold``; False if it already had."""
        values = {"petition_id": petition_id, "threshold": threshold, "reached_at": now}
        return self.uow.insert_unless_exists(thresholds_reached, values)
