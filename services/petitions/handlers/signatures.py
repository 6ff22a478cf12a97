"""Use cases of signatures: sign (in batches), withdraw one, forget an erased citizen, and what
a citizen sees of their own signatures."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from services.petitions import domain
from services.petitions.commands import ForgetCitizen, SignRequest
from services.petitions.domain import Citizen, PetitionError, Receipt
from services.petitions.events import SignaturesRecorded, SignatureWithdrawn
from services.petitions.handlers.petitions import load
from services.petitions.storage import queries
from services.petitions.storage.queries import OwnSignature
from services.petitions.storage.repository import PetitionRepository
from shared.clock import isoformat, utcnow
from shared.db import UnitOfWork
from shared.inbox import first_delivery

ERASURE_CONSUMER = "petitions.erasure"  # its inbox rows


def sign_batch_of_one(request: SignRequest, uow: UnitOfWork) -> Receipt:
    """One signature in its own transaction: its receipt, or raise why it is refused."""
    outcome = sign_batch([request], uow)[0]
    if isinstance(outcome, domain.PetitionError):
        raise outcome
    return outcome


def sign_batch(requests: Sequence[SignRequest], uow: UnitOfWork) -> list[Receipt | PetitionError]:
    """Signatures of many citizens in one transaction (group commit, see shared.batching).

    One read of the petitions concerned, one multi-row insert whose unique index lets exactly one
    signature per citizen and petition in (ON CONFLICT DO NOTHING), one upsert of the count
    shards, one internal event for the whole batch. Each request gets its receipt or its refusal.
    """
    repo = PetitionRepository(uow)
    found = repo.get_many(sorted({r.petition_id for r in requests}))
    now = utcnow()
    signed_at = isoformat(now)
    outcomes: list[Receipt | PetitionError] = []
    rows = []
    for request in requests:
        petition = found.get(request.petition_id)
        try:
            if petition is None:
                raise domain.NotFound("no such petition")
            domain.check_can_sign(petition, request.citizen, now)
        except PetitionError as refused:
            outcomes.append(refused)
            continue
        signature_id = str(uuid.uuid4())
        outcomes.append(
            Receipt(
                signature_id,
                petition.id,
                signed_at,
                domain.receipt_hash(petition.id, signature_id, signed_at),
            )
        )
        rows.append(
            {
                "id": signature_id,
                "petition_id": petition.id,
                "citizen_sub": request.citizen.sub,
                "departement": request.departement,
                "signed_at": now,
            }
        )
    if not rows:
        return outcomes
    inserted = repo.add_signatures(rows)
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, Receipt) and outcome.signature_id not in inserted:
            outcomes[i] = domain.AlreadySigned("this citizen has already signed this petition")
    receipts = tuple(o for o in outcomes if isinstance(o, Receipt))
    if receipts:
        uow.emit(SignaturesRecorded(receipts))
    uow.commit()
    return outcomes


def withdraw_signature(petition_id: str, citizen: Citizen, uow: UnitOfWork) -> None:
    repo = PetitionRepository(uow)
    petition = load(repo, petition_id)
    if not petition.is_open_at(utcnow()):
        raise domain.Closed("signatures can only be withdrawn while the petition is open")
    signature_id = repo.remove_signature(petition.id, citizen.sub)
    if signature_id is None:
        raise domain.NotSigned("this citizen has not signed this petition")
    uow.emit(SignatureWithdrawn(petition.id, signature_id))
    uow.commit()


def forget_citizen(erased: ForgetCitizen, uow: UnitOfWork) -> tuple[int, int] | None:
    """Erasure: the citizen's signatures still count, but nothing here links them or their
    petitions to the citizen any more. (signatures, petitions) changed; None if already done."""
    if not first_delivery(uow, ERASURE_CONSUMER, erased.event_id):
        return None
    counted = PetitionRepository(uow).anonymise_citizen(erased.sub)
    uow.commit()
    return counted


def signed_at(uow: UnitOfWork, petition_id: str, citizen_sub: str) -> datetime | None:
    """When this citizen signed this petition, or None."""
    return queries.signed_at(uow, petition_id, citizen_sub)


def signatures_of(uow: UnitOfWork, citizen_sub: str) -> list[OwnSignature]:
    """The petitions this citizen signed, most recent signature first (hidden ones left out)."""
    return queries.signatures_of(uow, citizen_sub)
