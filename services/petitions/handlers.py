"""One function per use case: load through the unit of work, apply the domain, commit."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

from services.petitions import domain
from services.petitions.domain import Citizen, Petition, Status
from services.petitions.schemas import Decision, NewPetition
from services.petitions.storage import COUNT_SHARDS, PetitionRepository
from shared.db import UnitOfWork
from shared.envelope import isoformat, utcnow


@dataclass(frozen=True)
class Receipt:
    signature_id: str
    petition_id: str
    signed_at: str
    hash: str


def create_petition(cmd: NewPetition, author_sub: str, uow: UnitOfWork) -> Petition:
    petition = Petition(
        id=str(uuid.uuid4()),
        title=cmd.title,
        text=cmd.text,
        status=Status.SUBMITTED,
        author_sub=author_sub,
        min_acr=cmd.min_acr,
        created_at=utcnow(),
    )
    PetitionRepository(uow).add(petition)
    uow.emit("petition.submitted", {"petition_id": petition.id})
    uow.commit()
    return petition


def moderate(petition_id: str, decision: Decision, uow: UnitOfWork) -> Petition:
    repo = PetitionRepository(uow)
    petition = _get(repo, petition_id, lock=True)
    if decision.decision == "publish":
        petition = petition.publish(utcnow())
        repo.update(petition)
        repo.create_counters(petition.id)
        uow.emit(
            "petition.published",
            {
                "petition_id": petition.id,
                "title": petition.title,
                "published_at": isoformat(petition.published_at or utcnow()),
                "deadline": isoformat(petition.deadline or utcnow()),
            },
        )
    else:
        petition = petition.reject(decision.reason or "")
        repo.update(petition)
        uow.emit(
            "petition.rejected", {"petition_id": petition.id, "reason": petition.rejection_reason}
        )
    uow.commit()
    return petition


def sign(petition_id: str, citizen: Citizen, departement: str | None, uow: UnitOfWork) -> Receipt:
    repo = PetitionRepository(uow)
    petition = _get(repo, petition_id)
    now = utcnow()
    domain.check_can_sign(petition, citizen, now)
    signature_id = str(uuid.uuid4())
    row = {
        "id": signature_id,
        "petition_id": petition.id,
        "citizen_sub": citizen.sub,
        "departement": departement,
        "signed_at": now,
    }
    if not repo.add_signature(row, _shard()):
        raise domain.AlreadySigned("this citizen has already signed this petition")
    # Internal event: no citizen identity, not forwarded to agencies.
    uow.emit(
        "petition.signature_recorded", {"petition_id": petition.id, "signature_id": signature_id}
    )
    uow.commit()
    signed_at = isoformat(now)
    return Receipt(
        signature_id,
        petition.id,
        signed_at,
        domain.receipt_hash(petition.id, signature_id, signed_at),
    )


def withdraw_signature(petition_id: str, citizen: Citizen, uow: UnitOfWork) -> None:
    repo = PetitionRepository(uow)
    petition = _get(repo, petition_id)
    if not petition.is_open_at(utcnow()):
        raise domain.Closed("signatures can only be withdrawn while the petition is open")
    signature_id = repo.remove_signature(petition.id, citizen.sub, _shard())
    if signature_id is None:
        raise domain.NotSigned("this citizen has not signed this petition")
    uow.emit(
        "petition.signature_withdrawn", {"petition_id": petition.id, "signature_id": signature_id}
    )
    uow.commit()


def get_petition(
    petition_id: str, viewer_sub: str | None, operator: bool, uow: UnitOfWork
) -> tuple[Petition, int]:
    repo = PetitionRepository(uow)
    petition = repo.get(petition_id)
    if petition is None or not petition.visible_to(viewer_sub, operator):
        raise domain.NotFound("no such petition")
    return petition, repo.counts([petition.id])[petition.id]


def list_petitions(
    status: str | None, limit: int, offset: int, operator: bool, uow: UnitOfWork
) -> list[tuple[Petition, int]]:
    if status is None:
        statuses: tuple[str, ...] = Status.PUBLIC
    elif status in Status.PUBLIC or operator:
        statuses = (status,)
    else:
        raise domain.Forbidden("only operators may list petitions that are not public")
    repo = PetitionRepository(uow)
    found = repo.page(statuses, limit, offset)
    counts = repo.counts([p.id for p in found])
    return [(p, counts[p.id]) for p in found]


def announce_counts(uow: UnitOfWork) -> int:
    """Emit ``petition.signature_count_changed`` for each petition whose count moved.

    Called about once a second: agencies get at most about one count event per second per
    petition, however fast signatures arrive (coalescing). Safe with several replicas: each
    petition's announcement row is claimed with SKIP LOCKED.
    """
    repo = PetitionRepository(uow)
    announced = 0
    for petition_id, _ in repo.changed_counts():
        if not repo.claim_announcement(petition_id):
            continue
        count = repo.counts([petition_id])[petition_id]
        now = utcnow()
        repo.record_announcement(petition_id, count, now)
        uow.emit(
            "petition.signature_count_changed",
            {"petition_id": petition_id, "signature_count": count, "counted_at": isoformat(now)},
        )
        announced += 1
    uow.commit()
    return announced


def _get(repo: PetitionRepository, petition_id: str, lock: bool = False) -> Petition:
    petition = repo.get(petition_id, lock=lock)
    if petition is None:
        raise domain.NotFound("no such petition")
    return petition


def _shard() -> int:
    return random.randrange(COUNT_SHARDS)  # noqa: S311 - load spreading, not security


def citizen_from_claims(claims: dict[str, Any]) -> Citizen:
    return Citizen(
        sub=str(claims["sub"]), acr=str(claims.get("acr", "")), adult=claims.get("adult") is True
    )
