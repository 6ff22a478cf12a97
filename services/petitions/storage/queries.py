"""Read queries only the pages need so far: a citizen's own signatures, co-sponsorships and
petitions (by their pairwise ``sub``); their use cases are ``handlers.signatures`` and
``handlers.drafts``.

NOTE: candidates for ``PetitionRepository``; kept here until the JSON API needs them too
(``GET /api/me/signatures``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.petitions.domain import Petition, Status
from services.petitions.storage.repository import PetitionRepository
from services.petitions.storage.tables import petitions, signatures, sponsors
from shared.clock import as_utc
from shared.db import UnitOfWork

MAX_LISTED_SIGNATURES = 500
MAX_LISTED_PETITIONS = 500


@dataclass(frozen=True)
class OwnSignature:
    petition: Petition
    signed_at: datetime
    signature_count: int


def signed_at(uow: UnitOfWork, petition_id: str, citizen_sub: str) -> datetime | None:
    """When this citizen signed this petition, or None."""
    return _moment(uow, signatures.c.signed_at, petition_id, citizen_sub)


def own_commitment(uow: UnitOfWork, petition_id: str, citizen_sub: str) -> str | None:
    """The commitment (hex) of this citizen's signature of this petition, or None."""
    found = uow.execute(
        sa.select(signatures.c.commitment).where(
            signatures.c.petition_id == petition_id, signatures.c.citizen_sub == citizen_sub
        )
    ).scalar()
    return str(found) if found is not None else None


def _moment(
    uow: UnitOfWork, column: sa.Column[Any], petition_id: str, citizen_sub: str
) -> datetime | None:
    """``column`` of the citizen's row for the petition (signatures or sponsors), or None."""
    table = column.table
    found = uow.execute(
        sa.select(column).where(
            table.c.petition_id == petition_id, table.c.citizen_sub == citizen_sub
        )
    ).scalar()
    return as_utc(found) if found is not None else None


def signatures_of(uow: UnitOfWork, citizen_sub: str) -> list[OwnSignature]:
    """The petitions this citizen signed, most recent signature first.

    Hidden petitions stay out (an operator took them down); the others show whatever their
    status now, so a citizen sees that a petition they signed has closed.
    """
    rows = uow.execute(
        sa.select(petitions, signatures.c.signed_at.label("signed_at_"))
        .join(signatures, signatures.c.petition_id == petitions.c.id)
        .where(signatures.c.citizen_sub == citizen_sub, petitions.c.status != Status.HIDDEN)
        .order_by(signatures.c.signed_at.desc())
        .limit(MAX_LISTED_SIGNATURES)
    ).all()
    found = [(_petition_of(row), as_utc(row.signed_at_)) for row in rows]
    counts = PetitionRepository(uow).counts([p.id for p, _ in found])
    return [OwnSignature(p, when, counts[p.id]) for p, when in found]


def sponsored_at(uow: UnitOfWork, petition_id: str, citizen_sub: str) -> datetime | None:
    """When this citizen co-sponsored this petition, or None."""
    return _moment(uow, sponsors.c.sponsored_at, petition_id, citizen_sub)


@dataclass(frozen=True)
class OwnPetition:
    petition: Petition
    signature_count: int
    sponsor_count: int


def petitions_by(uow: UnitOfWork, author_sub: str) -> list[OwnPetition]:
    """The petitions this citizen wrote, drafts included, newest first, whatever their status.

    NOTE: no index on ``petitions.author_sub`` yet (as none on ``signatures.citizen_sub`` for
    :func:`signatures_of`); one comes with the migration that makes this an API call.
    """
    rows = uow.execute(
        sa.select(petitions)
        .where(petitions.c.author_sub == author_sub)
        .order_by(petitions.c.created_at.desc(), petitions.c.id)
        .limit(MAX_LISTED_PETITIONS)
    ).all()
    found = [_petition_of(row) for row in rows]
    repo = PetitionRepository(uow)
    ids = [p.id for p in found]
    counts, sponsored = repo.counts(ids), repo.sponsor_counts(ids)
    return [OwnPetition(p, counts[p.id], sponsored[p.id]) for p in found]


_PETITION_FIELDS = tuple(f.name for f in fields(Petition))


def _petition_of(row: Any) -> Petition:
    values = row._mapping
    return Petition(**{name: as_utc(values[name]) for name in _PETITION_FIELDS})
