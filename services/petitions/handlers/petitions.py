"""Use cases of a petition as a whole: read one, list them, moderate, withdraw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.petitions import domain
from services.petitions.commands import Decision
from services.petitions.domain import Citizen, Petition, PetitionRules, Status
from services.petitions.events import (
    PetitionClosed,
    PetitionHidden,
    PetitionPublished,
    PetitionRejected,
    PetitionWithdrawn,
)
from services.petitions.handlers.ledger import Ledger
from services.petitions.handlers.ledger import close as ledger_close
from services.petitions.handlers.ledger import publish as ledger_publish
from services.petitions.storage.repository import PetitionRepository
from shared.clock import utcnow
from shared.db import UnitOfWork
from shared.events import Event


@dataclass(frozen=True)
class PetitionView:
    petition: Petition
    signature_count: int
    by_departement: dict[str, int] | None = None
    sponsor_count: int = 0
    by_author: bool = False  # the viewer wrote it (and may see its sponsor link)


def get_petition(
    petition_id: str,
    viewer_sub: str | None,
    operator: bool,
    uow: UnitOfWork,
    sponsor_token: str | None = None,
) -> PetitionView:
    repo = PetitionRepository(uow)
    petition = repo.get(petition_id)
    if petition is None or not petition.visible_to(viewer_sub, operator, sponsor_token):
        raise domain.NotFound("no such petition")
    count = repo.counts([petition.id])[petition.id]
    return PetitionView(
        petition,
        count,
        repo.counts_by_departement(petition.id),
        repo.sponsor_counts([petition.id])[petition.id],
        by_author=viewer_sub == petition.author_sub,
    )


def list_petitions(
    status: str | None,
    search: str | None,
    page: tuple[int, int],
    operator: bool,
    uow: UnitOfWork,
) -> list[PetitionView]:
    if status is None:
        statuses: tuple[str, ...] = Status.PUBLIC
    elif status in Status.PUBLIC or operator:
        statuses = (status,)
    else:
        raise domain.Forbidden("only operators may list petitions that are not public")
    repo = PetitionRepository(uow)
    found = repo.page(statuses, page[0], page[1], search)
    counts = repo.counts([p.id for p in found])
    sponsored = repo.sponsor_counts([p.id for p in found])
    return [PetitionView(p, counts[p.id], sponsor_count=sponsored[p.id]) for p in found]


def moderate(
    petition_id: str, decision: Decision, rules: PetitionRules, uow: UnitOfWork
) -> Petition:
    repo = PetitionRepository(uow)
    before = load(repo, petition_id, lock=True)
    now = utcnow()
    ledger = Ledger()
    event: Event
    if decision.decision == "publish":
        petition = before.publish(now, rules.duration)
        event = PetitionPublished.of(petition)
        ledger_publish(repo, ledger, petition, now)
    elif decision.decision == "reject":
        petition = before.reject(decision.reason or "", now)
        event = PetitionRejected(petition.id, petition.rejection_reason)
    elif decision.decision == "close":
        petition = before.close(now)
        event = closed(petition, repo, ledger, now)
    else:
        petition = before.hide(now)
        event = PetitionHidden(petition.id)
        end_signing(before, petition, repo, ledger, now)
    uow.emit(event)
    ledger.emit(uow)
    repo.update(petition)
    uow.commit()
    return petition


def withdraw_petition(petition_id: str, author: Citizen, uow: UnitOfWork) -> Petition:
    repo = PetitionRepository(uow)
    before = load(repo, petition_id, lock=True)
    now = utcnow()
    petition = before.withdraw(author.sub, now)
    ledger = Ledger()
    end_signing(before, petition, repo, ledger, now)
    repo.update(petition)
    uow.emit(PetitionWithdrawn(petition.id))
    ledger.emit(uow)
    uow.commit()
    return petition


def closed(
    petition: Petition, repo: PetitionRepository, ledger: Ledger, now: datetime
) -> PetitionClosed:
    """The event of a petition just closed (its row locked), with its count, and its ``close``
    leaf with the same count."""
    count = repo.counts([petition.id])[petition.id]
    ledger_close(repo, ledger, petition, count, now)
    return PetitionClosed.of(petition, count)


def end_signing(
    before: Petition, after: Petition, repo: PetitionRepository, ledger: Ledger, now: datetime
) -> None:
    """A petition open for signatures that stops being so otherwise than by closing (hidden,
    withdrawn by its author): its ``close`` leaf all the same, with its status."""
    if before.status == Status.OPEN:
        ledger_close(repo, ledger, after, repo.counts([after.id])[after.id], now)


def load(
    repo: PetitionRepository, petition_id: str, lock: bool = False, share: bool = False
) -> Petition:
    petition = repo.get(petition_id, lock=lock, share=share)
    if petition is None:
        raise domain.NotFound("no such petition")
    return petition
