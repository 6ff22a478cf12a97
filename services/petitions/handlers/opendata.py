"""Open data: public petitions and their counts, never who created or signed them."""

from __future__ import annotations

from services.petitions.domain import Status
from services.petitions.handlers.petitions import PetitionView
from services.petitions.storage.repository import PetitionRepository
from shared.db import UnitOfWork


def export_open_data(uow: UnitOfWork, batch: int = 500) -> list[PetitionView]:
    """Every public petition with its counts (schemas shape them: nothing about who created or
    signed it)."""
    repo = PetitionRepository(uow)
    found: list[PetitionView] = []
    offset = 0
    while True:
        page = repo.page(Status.PUBLIC, batch, offset)
        counts = repo.counts([p.id for p in page])
        found += [PetitionView(p, counts[p.id], repo.counts_by_departement(p.id)) for p in page]
        if len(page) < batch:
            return found
        offset += batch
