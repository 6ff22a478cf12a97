"""The SQL of upkeep (handlers/upkeep.py): recounting and repairing counts, retiring signers'
subjects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.petitions.domain import Status
from services.petitions.storage.repository import UNDECLARED
from services.petitions.storage.tables import count_shards, petitions, retired, signatures, sponsors
from shared.db import UnitOfWork

RETIRED_PREFIX = "retired:"
ERASED_PREFIX = "erased:"


class UpkeepRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    # -- recount ---------------------------------------------------------------------------

    def petition_ids(self, limit: int, after: str | None) -> list[str]:
        query = sa.select(petitions.c.id).order_by(petitions.c.id).limit(limit)
        if after is not None:
            query = query.where(petitions.c.id > after)
        return [str(pid) for pid in self.uow.execute(query).scalars()]

    def exists(self, petition_id: str) -> bool:
        query = sa.select(petitions.c.id).where(petitions.c.id == petition_id)
        return self.uow.execute(query).first() is not None

    def row_counts(self, petition_ids: list[str]) -> dict[str, int]:
        rows = self.uow.execute(
            sa.select(signatures.c.petition_id, sa.func.count())
            .where(signatures.c.petition_id.in_(petition_ids))
            .group_by(signatures.c.petition_id)
        ).all()
        found = {pid: int(n) for pid, n in rows}
        return {pid: found.get(pid, 0) for pid in petition_ids}

    def lock_signatures(self) -> None:
        """Wait for every signing transaction in flight, and hold new ones until commit.

        NOTE: SHARE mode conflicts with the ROW EXCLUSIVE lock that inserting or deleting a
        signature takes, and every use case that changes a shard changed a signature first in
        the same transaction: while this is held, no shard can move. SQLite has one writer
        anyway (the repair's first statement is a write).
        """
        if self.uow.dialect == "postgresql":
            self.uow.execute(sa.text("LOCK TABLE signatures IN SHARE MODE"))

    def rewrite_shards(self, petition_id: str) -> None:
        """The petition's shards become its signature rows' counts per département."""
        self.uow.execute(sa.delete(count_shards).where(count_shards.c.petition_id == petition_id))
        by_departement = self.uow.execute(
            sa.select(signatures.c.departement, sa.func.count())
            .where(signatures.c.petition_id == petition_id)
            .group_by(signatures.c.departement)
        ).all()
        counts: dict[str, int] = {}
        for departement, n in by_departement:
            key = departement or UNDECLARED
            counts[key] = counts.get(key, 0) + int(n)
        if counts:
            self.uow.execute(
                sa.insert(count_shards),
                [
                    {"petition_id": petition_id, "departement": d, "shard": 0, "count": n}
                    for d, n in counts.items()
                ],
            )

    # -- retention -------------------------------------------------------------------------

    def ended_before(self, cutoff: datetime, limit: int) -> list[str]:
        """Petitions ended before ``cutoff`` whose signers are not yet retired."""
        query = (
            sa.select(petitions.c.id)
            .where(
                petitions.c.status.in_(Status.ENDED),
                petitions.c.closed_at.is_not(None),
                petitions.c.closed_at <= cutoff,
                ~sa.exists().where(retired.c.petition_id == petitions.c.id),
            )
            .order_by(petitions.c.closed_at)
            .limit(limit)
        )
        return [str(pid) for pid in self.uow.execute(query).scalars()]

    def anonymise_some(self, table: sa.Table, petition_id: str, limit: int) -> int:
        """Replace up to ``limit`` subjects of the petition's rows by ``retired:<row id>``."""
        pending = (
            sa.select(table.c.id)
            .where(table.c.petition_id == petition_id, _identifying(table))
            .limit(limit)
            .scalar_subquery()
        )
        result = self.uow.execute(
            sa.update(table)
            .where(table.c.id.in_(pending), _identifying(table))
            .values(citizen_sub=sa.literal(RETIRED_PREFIX) + table.c.id)
        )
        return int(result.rowcount)

    def mark_retired(self, petition_id: str, now: datetime) -> None:
        self.uow.insert_unless_exists(retired, {"petition_id": petition_id, "retired_at": now})


def _identifying(table: sa.Table) -> Any:
    subject = table.c.citizen_sub
    return sa.and_(~subject.startswith(RETIRED_PREFIX), ~subject.startswith(ERASED_PREFIX))


RETIRABLE = {"signatures": signatures, "sponsors": sponsors}
