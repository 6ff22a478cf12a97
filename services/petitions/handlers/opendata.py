"""Open data: public petitions and their counts, never who created or signed them."""

from __future__ import annotations

import json
from typing import Any

from services.petitions.domain import Petition, Status
from services.petitions.storage.repository import PetitionRepository
from shared.db import UnitOfWork
from shared.envelope import isoformat

CSV_COLUMNS = (
    "id",
    "title",
    "status",
    "published_at",
    "deadline",
    "closed_at",
    "signature_count",
    "signatures_by_departement",
)


def csv_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    rows: list[list[Any]] = [list(CSV_COLUMNS)]
    for item in items:
        row = [item[c] for c in CSV_COLUMNS]
        row[-1] = json.dumps(item["signatures_by_departement"], sort_keys=True)
        rows.append([_cell(v) for v in row])
    return rows


def _cell(value: Any) -> Any:
    """Keep spreadsheets from running a title as a formula (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_open_data(uow: UnitOfWork, batch: int = 500) -> list[dict[str, Any]]:
    """Every public petition with its counts; nothing about who created or signed it."""
    repo = PetitionRepository(uow)
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        found = repo.page(Status.PUBLIC, batch, offset)
        counts = repo.counts([p.id for p in found])
        rows += [_open_data_row(p, counts[p.id], repo.counts_by_departement(p.id)) for p in found]
        if len(found) < batch:
            return rows
        offset += batch


def _open_data_row(petition: Petition, count: int, by_dep: dict[str, int]) -> dict[str, Any]:
    return {
        "id": petition.id,
        "title": petition.title,
        "status": petition.status,
        "published_at": _iso(petition.published_at),
        "deadline": _iso(petition.deadline),
        "closed_at": _iso(petition.closed_at),
        "signature_count": count,
        "signatures_by_departement": by_dep,
    }


def _iso(moment: Any) -> str | None:
    return isoformat(moment) if moment else None
