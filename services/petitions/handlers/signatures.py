"""Use cases of signatures: sign (in batches), withdraw one, forget an erased citizen, and what
a citizen sees of their own signatures."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from hub_verify import leaves

from services.petitions import domain
from services.petitions.commands import ForgetCitizen, SignRequest
from services.petitions.domain import Citizen, PetitionError, Receipt
from services.petitions.events import SignaturesRecorded, SignatureWithdrawn
from services.petitions.handlers.ledger import Ledger, check_secret
from services.petitions.handlers.ledger import key_of as ledger_key
from services.petitions.handlers.petitions import load
from services.petitions.storage import queries
from services.petitions.storage.queries import OwnSignature
from services.petitions.storage.repository import PetitionRepository
from shared.clock import isoformat, utcnow
from shared.db import UnitOfWork
from shared.inbox import first_delivery

ERASURE_CONSUMER = "petitions.erasure"  # its inbox rows
SECRET_BYTES = 32  # a receipt secret s, when the hub makes it


def sign_batch_of_one(request: SignRequest, uow: UnitOfWork) -> Receipt:
    """One signature in its own transaction: its receipt, or raise why it is refused."""
    outcome = sign_batch([request], uow)[0]
    if isinstance(outcome, domain.PetitionError):
        raise outcome
    return outcome


def sign_batch(requests: Sequence[SignRequest], uow: UnitOfWork) -> list[Receipt | PetitionError]:
    """Signatures of many citizens in one transaction (group commit, see shared.batching).

    One read of the petitions concerned (with their log keys, FOR SHARE on PostgreSQL), one
    multi-row insert whose unique indexes let exactly one signature per citizen and petition in
    (ON CONFLICT DO NOTHING: the same subject, or the same nullifier, whatever the subject), one
    upsert of the count shards, one internal event for the whole batch and one with its leaves.
    Each request gets its receipt or its refusal.
    """
    repo = PetitionRepository(uow)
    found = repo.get_for_signing(sorted({r.petition_id for r in requests}))
    now = utcnow()
    signed_at = isoformat(now)
    ledger = Ledger()
    keys: dict[str, bytes] = {}
    outcomes: list[Receipt | PetitionError] = []
    rows = []
    signed = []  # (signature id, petition id, N, C), in the order of the requests
    for request in requests:
        petition, key = found.get(request.petition_id, (None, None))
        try:
            if petition is None:
                raise domain.NotFound("no such petition")
            domain.check_can_sign(petition, request.citizen, now)
        except PetitionError as refused:
            outcomes.append(refused)
            continue
        if petition.id not in keys:  # a petition published before the log: its key now
            keys[petition.id] = key or ledger_key(repo, ledger, petition, now)
        secret, commitment = _commitment(petition.id, request.commitment)
        nullifier = leaves.nullifier(keys[petition.id], request.citizen.signer or "")
        signature_id = str(uuid.uuid4())
        outcomes.append(
            Receipt(
                signature_id,
                petition.id,
                signed_at,
                domain.receipt_hash(petition.id, signature_id, signed_at),
                commitment.hex(),
                secret.hex() if secret is not None else None,
            )
        )
        rows.append(
            {
                "id": signature_id,
                "petition_id": petition.id,
                "citizen_sub": request.citizen.sub,
                "departement": request.departement,
                "signed_at": now,
                "nullifier": nullifier.hex(),
                "commitment": commitment.hex(),
            }
        )
        signed.append((signature_id, petition.id, nullifier, commitment))
    if not rows:
        if ledger.leaves:  # nobody signed, but a legacy petition got its key: keep it
            ledger.emit(uow)
            uow.commit()
        return outcomes
    inserted = repo.add_signatures(rows)
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, Receipt) and outcome.signature_id not in inserted:
            outcomes[i] = domain.AlreadySigned("this citizen has already signed this petition")
    for signature_id, petition_id, nullifier, commitment in signed:
        if signature_id in inserted:
            ledger.sign(petition_id, nullifier, commitment)
    receipts = tuple(o for o in outcomes if isinstance(o, Receipt))
    if receipts:
        uow.emit(SignaturesRecorded(receipts))
    ledger.emit(uow)
    uow.commit()
    return outcomes


def _commitment(petition_id: str, given: str | None) -> tuple[bytes | None, bytes]:
    """(s, C): the caller's commitment (they keep s), or a new secret and its commitment."""
    if given is not None:
        return None, bytes.fromhex(given)
    secret = secrets.token_bytes(SECRET_BYTES)
    return secret, leaves.commitment(petition_id, secret)


def withdraw_signature(
    petition_id: str, citizen: Citizen, uow: UnitOfWork, secret: bytes | None = None
) -> None:
    """Withdraw the citizen's signature; with its receipt ``secret``, the log's ``withdraw``
    shows it (anyone can check it against the ``sign``), else ``-``. A wrong secret changes
    nothing."""
    repo = PetitionRepository(uow)
    # NOTE: FOR SHARE on PostgreSQL, as signing: a close's count waits for this withdrawal.
    petition = load(repo, petition_id, share=True)
    if not petition.is_open_at(utcnow()):
        raise domain.Closed("signatures can only be withdrawn while the petition is open")
    removed = repo.remove_signature(petition.id, citizen.sub)
    if removed is None:
        raise domain.NotSigned("this citizen has not signed this petition")
    signature_id, commitment = removed
    if secret is not None and not check_secret(petition.id, secret, commitment):
        uow.rollback()
        raise domain.WrongReceiptSecret("this receipt secret is not the one of this signature")
    uow.emit(SignatureWithdrawn(petition.id, signature_id))
    if commitment is not None:  # else made before the log, never in it (see ledger.backfill)
        ledger = Ledger()
        ledger.withdraw(petition.id, commitment, secret)
        ledger.emit(uow)
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


def own_commitment(uow: UnitOfWork, petition_id: str, citizen_sub: str) -> str | None:
    """The commitment of this citizen's signature (the pages' script finds its secret by it)."""
    return queries.own_commitment(uow, petition_id, citizen_sub)
