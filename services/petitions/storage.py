"""Tables of the petitions service's database (migrations in ./migrations).

NOTE: counts are sharded. Each signature adds 1 to one of ``COUNT_SHARDS`` rows of its petition,
picked at random, so a popular petition has no single row that every signature locks (the UK
e-petitions site fell over at 33 signatures/s on exactly that). The count is the sum of the shards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shared.inbox import inbox_table
from shared.outbox import BIGINT, outbox_table

if TYPE_CHECKING:
    from services.petitions.domain import Petition
    from shared.db import UnitOfWork

COUNT_SHARDS = 16

metadata = sa.MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

petitions = sa.Table(
    "petitions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("author_sub", sa.String(100), nullable=False),
    sa.Column("min_acr", sa.String(10), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
    sa.Column("rejection_reason", sa.String(50), nullable=True),
    sa.Index("ix_petitions_status_created", "status", "created_at"),
)

signatures = sa.Table(
    "signatures",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), nullable=False),
    # The citizen's pairwise subject for the petitions service: one signature per citizen.
    sa.Column("citizen_sub", sa.String(100), nullable=False),
    sa.Column("departement", sa.String(3), nullable=True),
    sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("petition_id", "citizen_sub", name="uq_signatures_one_per_citizen"),
)

count_shards = sa.Table(
    "petition_count_shards",
    metadata,
    sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), primary_key=True),
    sa.Column("shard", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("count", BIGINT, nullable=False, default=0),
)

# The last count announced in a petition.signature_count_changed event.
count_announcements = sa.Table(
    "petition_count_announcements",
    metadata,
    sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), primary_key=True),
    sa.Column("announced_count", BIGINT, nullable=False, default=0),
    sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
)


def _row_to_petition(row: sa.Row) -> Petition:
    from services.petitions.domain import Petition

    values: dict[str, Any] = {k: _aware(v) for k, v in row._mapping.items()}
    return Petition(**values)


def _aware(value: object) -> object:
    """SQLite hands back naive datetimes; the hub's are all UTC."""
    from datetime import UTC, datetime

    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class PetitionRepository:
    """Petitions, signatures and counts, through one unit of work (core SQL: no ORM round trips)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def get(self, petition_id: str, lock: bool = False) -> Petition | None:
        query = sa.select(petitions).where(petitions.c.id == petition_id)
        if lock:
            query = query.with_for_update()
        row = self.uow.execute(query).first()
        return _row_to_petition(row) if row else None

    def add(self, petition: Petition) -> None:
        self.uow.execute(sa.insert(petitions).values(**petition.__dict__))

    def update(self, petition: Petition) -> None:
        values = {k: v for k, v in petition.__dict__.items() if k != "id"}
        self.uow.execute(sa.update(petitions).where(petitions.c.id == petition.id).values(**values))

    def create_counters(self, petition_id: str) -> None:
        self.uow.execute(
            sa.insert(count_shards),
            [{"petition_id": petition_id, "shard": s, "count": 0} for s in range(COUNT_SHARDS)],
        )
        self.uow.execute(
            sa.insert(count_announcements).values(petition_id=petition_id, announced_count=0)
        )

    def page(self, statuses: tuple[str, ...], limit: int, offset: int) -> list[Petition]:
        rows = self.uow.execute(
            sa.select(petitions)
            .where(petitions.c.status.in_(statuses))
            .order_by(petitions.c.created_at.desc(), petitions.c.id)
            .limit(limit)
            .offset(offset)
        ).all()
        return [_row_to_petition(r) for r in rows]

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

    def add_signature(self, row: dict, shard: int) -> bool:
        """Insert the signature and count it; False if this citizen already signed."""
        if not self.uow.insert_unless_exists(signatures, row):
            return False
        self._add_to_count(row["petition_id"], shard, 1)
        return True

    def remove_signature(self, petition_id: str, citizen_sub: str, shard: int) -> str | None:
        row = self.uow.execute(
            sa.delete(signatures)
            .where(signatures.c.petition_id == petition_id, signatures.c.citizen_sub == citizen_sub)
            .returning(signatures.c.id)
        ).first()
        if row is None:
            return None
        self._add_to_count(petition_id, shard, -1)
        return row.id

    def _add_to_count(self, petition_id: str, shard: int, delta: int) -> None:
        self.uow.execute(
            sa.update(count_shards)
            .where(count_shards.c.petition_id == petition_id, count_shards.c.shard == shard)
            .values(count=count_shards.c.count + delta)
        )

    def changed_counts(self, limit: int = 500) -> list[tuple[str, int]]:
        """Open petitions whose count differs from the one last announced."""
        total = sa.func.sum(count_shards.c.count)
        rows = self.uow.execute(
            sa.select(count_shards.c.petition_id, total)
            .join(
                count_announcements, count_announcements.c.petition_id == count_shards.c.petition_id
            )
            .group_by(count_shards.c.petition_id, count_announcements.c.announced_count)
            .having(total != count_announcements.c.announced_count)
            .limit(limit)
        ).all()
        return [(pid, int(n)) for pid, n in rows]

    def claim_announcement(self, petition_id: str) -> bool:
        """Lock the petition's announcement row, unless another replica holds it."""
        row = self.uow.execute(
            sa.select(count_announcements.c.petition_id)
            .where(count_announcements.c.petition_id == petition_id)
            .with_for_update(skip_locked=True)
        ).first()
        return row is not None

    def record_announcement(self, petition_id: str, count: int, now: object) -> None:
        self.uow.execute(
            sa.update(count_announcements)
            .where(count_announcements.c.petition_id == petition_id)
            .values(announced_count=count, announced_at=now)
        )
