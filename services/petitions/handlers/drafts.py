"""Use cases before moderation: create (as a draft or submitted), edit a draft, co-sponsor by
link, submit. Same shape as handlers.py: load through the unit of work, apply the domain, commit.

NOTE: ``author_key`` is returned once, at creation, and never stored: ``petition.submitted``
carries only its hash (sha256 of ``"{petition_id}\\n{author_key}"``), with which notifications
lets the author register an e-mail address. A draft keeps that hash until it is submitted.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from services.petitions import domain
from services.petitions.domain import Citizen, Petition, Status
from services.petitions.schemas import NewPetition
from services.petitions.storage.repository import PetitionRepository
from shared.db import UnitOfWork
from shared.envelope import utcnow


@dataclass(frozen=True)
class CreatedPetition:
    petition: Petition
    author_key: str  # shown once to the author, never stored


def create_petition(
    cmd: NewPetition, author_sub: str, uow: UnitOfWork, min_sponsors: int = 0
) -> CreatedPetition:
    if not cmd.draft:
        domain.check_enough_sponsors(0, min_sponsors)
    petition_id, author_key = str(uuid.uuid4()), secrets.token_urlsafe(32)
    petition = Petition(
        id=petition_id,
        title=cmd.title,
        text=cmd.text,
        status=Status.DRAFT if cmd.draft else Status.SUBMITTED,
        author_sub=author_sub,
        min_acr=cmd.min_acr,
        created_at=utcnow(),
        sponsor_token=secrets.token_urlsafe(24),
        author_key_hash=domain.author_key_hash(petition_id, author_key) if cmd.draft else None,
    )
    PetitionRepository(uow).add(petition)
    if not cmd.draft:
        _emit_submitted(uow, petition, domain.author_key_hash(petition_id, author_key))
    uow.commit()
    return CreatedPetition(petition, author_key)


def edit_draft(
    petition_id: str, author: Citizen, changes: dict[str, str], uow: UnitOfWork
) -> tuple[Petition, int]:
    repo = PetitionRepository(uow)
    petition = _get_for(repo, petition_id, author)
    sponsor_count = repo.sponsor_counts([petition.id])[petition.id]
    petition = petition.edit(author.sub, changes, sponsor_count)
    repo.update(petition)
    uow.commit()
    return petition, sponsor_count


def submit_petition(
    petition_id: str, author: Citizen, min_sponsors: int, uow: UnitOfWork
) -> tuple[Petition, int]:
    """A draft goes to moderation; submitting twice is an invalid transition (409)."""
    repo = PetitionRepository(uow)
    draft = _get_for(repo, petition_id, author)
    sponsor_count = repo.sponsor_counts([draft.id])[draft.id]
    petition = draft.submit(author.sub, sponsor_count, min_sponsors)
    repo.update(petition)
    _emit_submitted(uow, petition, draft.author_key_hash, sponsor_count)
    uow.commit()
    return petition, sponsor_count


def sponsor_petition(petition_id: str, citizen: Citizen, token: str, uow: UnitOfWork) -> int:
    """The citizen co-sponsors the petition (its link's token); returns the co-sponsor count."""
    repo = PetitionRepository(uow)
    petition = repo.get(petition_id, lock=True)  # NOTE: no co-sponsor joins as it is submitted
    if petition is None:
        raise domain.NotFound("no such petition, or the sponsor link is wrong")
    domain.check_can_sponsor(petition, citizen, token)
    row = {
        "id": str(uuid.uuid4()),
        "petition_id": petition.id,
        "citizen_sub": citizen.sub,
        "sponsored_at": utcnow(),
    }
    if not repo.add_sponsor(row):
        raise domain.AlreadySponsored("this citizen already co-sponsors this petition")
    uow.commit()
    return repo.sponsor_counts([petition.id])[petition.id]


def _emit_submitted(
    uow: UnitOfWork, petition: Petition, key_hash: str | None, sponsor_count: int = 0
) -> None:
    payload: dict[str, object] = {"petition_id": petition.id, "sponsor_count": sponsor_count}
    if key_hash:
        payload["author_key_hash"] = key_hash
    uow.emit("petition.submitted", payload)


def _get_for(repo: PetitionRepository, petition_id: str, author: Citizen) -> Petition:
    """The petition, locked, if ``author`` may see it (others learn nothing: 404)."""
    petition = repo.get(petition_id, lock=True)
    if petition is None or not petition.visible_to(author.sub, operator=False):
        raise domain.NotFound("no such petition")
    return petition
