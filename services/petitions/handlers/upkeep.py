"""Upkeep use cases: the recount (live count against signature rows, repaired on demand) and
retention (signers' subjects retired a configured time after a petition ended; counts kept).

Run by operators (``hub petitions recount|retention``, services/petitions/cli.py) and, for
retention, by the service's hourly timer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from services.petitions import domain
from services.petitions.handlers.ledger import Ledger
from services.petitions.handlers.ledger import erase as ledger_erase
from services.petitions.storage.repository import PetitionRepository
from services.petitions.storage.upkeep import RETIRABLE, UpkeepRepository
from shared.clock import utcnow
from shared.db import UnitOfWork

PAGE = 500
RETIRE_BATCH = 5_000  # rows per transaction: a six-million-signature petition locks nothing long
RETIRE_PETITIONS = 50  # per run of the timer; the next run goes on


@dataclass(frozen=True)
class Recount:
    id: str
    live_count: int  # the sum of the count shards: what everyone is shown
    rows: int  # the signature rows themselves
    equal: bool
    repaired: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def recount(uow: UnitOfWork, petition_id: str | None = None) -> Iterator[Recount]:
    """Every petition's live count beside its rows (or one petition's); changes nothing."""
    upkeep = UpkeepRepository(uow)
    if petition_id is not None:
        if not upkeep.exists(petition_id):
            raise domain.NotFound(f"no petition has the id {petition_id}")
        yield from _compare(uow, [petition_id])
        return
    after = None
    while ids := upkeep.petition_ids(PAGE, after):
        yield from _compare(uow, ids)
        after = ids[-1]
    uow.rollback()  # nothing to keep: end the read transaction


def repair(uow: UnitOfWork, petition_id: str) -> Recount:
    """Rewrite the petition's count shards to its rows, in one transaction, signing held off."""
    upkeep = UpkeepRepository(uow)
    upkeep.lock_signatures()
    upkeep.rewrite_shards(petition_id)
    uow.commit()
    (after,) = _compare(uow, [petition_id])
    uow.rollback()
    return Recount(after.id, after.live_count, after.rows, after.equal, repaired=True)


def _compare(uow: UnitOfWork, ids: list[str]) -> list[Recount]:
    live = PetitionRepository(uow).counts(ids)
    rows = UpkeepRepository(uow).row_counts(ids)
    return [Recount(pid, live[pid], rows[pid], live[pid] == rows[pid]) for pid in ids]


def retire_signers(
    uow: UnitOfWork, retention: timedelta, max_petitions: int = RETIRE_PETITIONS
) -> list[dict[str, Any]]:
    """Anonymise the signers and co-sponsors of petitions that ended ``retention`` ago.

    Each subject becomes ``retired:<row id>``: the rows stay (the recount still matches), the
    départements stay (they are counted in the shards anyway), nothing links them to a citizen.
    The petition's log key k_P is destroyed (its nullifiers no longer lead back to anyone) and
    the log gets its ``erase`` leaf.
    """
    upkeep = UpkeepRepository(uow)
    now = utcnow()
    ids = upkeep.ended_before(domain.retention_cutoff(now, retention), max_petitions)
    uow.rollback()
    return [_retire(uow, upkeep, petition_id) for petition_id in ids]


def _retire(uow: UnitOfWork, upkeep: UpkeepRepository, petition_id: str) -> dict[str, Any]:
    done: dict[str, Any] = {"id": petition_id}
    for name, table in RETIRABLE.items():
        total = 0
        while changed := upkeep.anonymise_some(table, petition_id, RETIRE_BATCH):
            uow.commit()
            total += changed
        done[f"anonymised_{name}"] = total
    # NOTE: with the marks, in one transaction: k_P destroyed and the log's erase leaf say so.
    now = utcnow()
    ledger = Ledger()
    ledger_erase(PetitionRepository(uow), ledger, petition_id, now)
    upkeep.mark_retired(petition_id, now)
    ledger.emit(uow)
    uow.commit()
    return done
