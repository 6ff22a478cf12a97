"""Use cases before moderation: create (as a draft or submitted), edit a draft, co-sponsor by
link, submit; and what a citizen sees of their own petitions and co-sponsorships.

NOTE: ``author_key`` is returned once, at creation, and never stored: ``petition.submitted``
carries only its hash (sha256 of ``"{petition_id}\\n{author_key}"``), with which notifications
lets the author register an e-mail address. A draft keeps that hash until it is submitted.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from services.petitions import domain
from services.petitions.commands import NewPetition, PetitionChanges
from services.petitions.domain import Citizen, Petition
from services.petitions.events import PetitionSubmitted
from services.petitions.storage import queries
from services.petitions.storage.queries import OwnPetition
from services.petitions.storage.repository import PetitionRepository
from shared.clock import utcnow
from shared.db import UnitOfWork


@dataclass(frozen=True)
class CreatedPetition:
    petition: Petition
    author_key: str  # shown once to the author, never stored


def create_petition(
    cmd: NewPetition, author_sub: str, uow: UnitOfWork, min_sponsors: int = 0
) -> CreatedPetition:
    petition_id, author_key = str(uuid.uuid4()), secrets.token_urlsafe(32)
    petition = Petition.create(
        petition_id,
        author_sub,
        utcnow(),
        title=cmd.title,
        text=cmd.text,
        min_acr=cmd.min_acr,
        sponsor_token=secrets.token_urlsafe(24),
        author_key=author_key,
        draft=cmd.draft,
        min_sponsors=min_sponsors,
    )
    PetitionRepository(uow).add(petition)
    if not cmd.draft:
        uow.emit(PetitionSubmitted(petition.id, 0, domain.author_key_hash(petition_id, author_key)))
    uow.commit()
    return CreatedPetition(petition, author_key)


def edit_draft(
    petition_id: str, author: Citizen, changes: PetitionChanges, uow: UnitOfWork
) -> tuple[Petition, int]:
    repo = PetitionRepository(uow)
    petition = _get_for(repo, petition_id, author)
    sponsor_count = repo.sponsor_counts([petition.id])[petition.id]
    petition = petition.edit(author.sub, changes.as_dict(), sponsor_count)
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
    uow.emit(PetitionSubmitted(petition.id, sponsor_count, draft.author_key_hash))
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


def sponsored_at(uow: UnitOfWork, petition_id: str, citizen_sub: str) -> datetime | None:
    """When this citizen co-sponsored this petition, or None."""
    return queries.sponsored_at(uow, petition_id, citizen_sub)


def petitions_by(uow: UnitOfWork, author_sub: str) -> list[OwnPetition]:
    """The petitions this citizen wrote, drafts included, newest first, whatever their status."""
    return queries.petitions_by(uow, author_sub)


def _get_for(repo: PetitionRepository, petition_id: str, author: Citizen) -> Petition:
    """The petition, locked, if ``author`` may see it (others learn nothing: 404)."""
    petition = repo.get(petition_id, lock=True)
    if petition is None or not petition.visible_to(author.sub, operator=False):
        raise domain.NotFound("no such petition")
    return petition
