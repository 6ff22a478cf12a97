"""One function per use case: load through the unit of work, apply the domain, commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.petitions import domain
from services.petitions.domain import Citizen, Petition, PetitionError, Status
from services.petitions.handlers.drafts import CreatedPetition, create_petition
from services.petitions.schemas import Decision
from services.petitions.storage.repository import PetitionRepository
from shared.db import UnitOfWork
from shared.envelope import isoformat, utcnow

SIGNATURES_RECORDED = "petition.signatures_recorded"  # internal: the receipts of a batch
# A petition is announced at most once in this long, whichever replica ticks (timers: 1 s).
ANNOUNCE_MIN_GAP_SECONDS = 0.8


@dataclass(frozen=True)
class Receipt:
    signature_id: str
    petition_id: str
    signed_at: str
    hash: str

    def as_dict(self) -> dict[str, str]:
        # NOTE: dataclasses.asdict deep-copies field by field: 2-3 % of petitions' CPU when
        # called twice per signature
        return {
            "signature_id": self.signature_id,
            "petition_id": self.petition_id,
            "signed_at": self.signed_at,
            "hash": self.hash,
        }


__all__ = ["CreatedPetition", "create_petition"]  # creation lives with drafts (drafts.py)


@dataclass(frozen=True)
class PetitionRules:
    """What each deployment configures (settings)."""

    thresholds: tuple[int, ...] = (10_000, 100_000)
    duration: timedelta = domain.DEFAULT_DURATION
    min_sponsors: int = 0
    retention: timedelta = timedelta(days=180)


def rules_from_settings(settings: Any) -> PetitionRules:
    """The deployment's rules; getattr: settings this service added may be absent (older)."""
    return PetitionRules(
        thresholds=settings.petition_thresholds,
        duration=timedelta(days=settings.petition_duration_days),
        min_sponsors=int(getattr(settings, "petition_min_sponsors", 0)),
        retention=timedelta(days=int(getattr(settings, "signature_retention_days", 180))),
    )


def moderate(
    petition_id: str, decision: Decision, rules: PetitionRules, uow: UnitOfWork
) -> Petition:
    repo = PetitionRepository(uow)
    petition = _get(repo, petition_id, lock=True)
    now = utcnow()
    if decision.decision == "publish":
        petition = petition.publish(now, rules.duration)
        uow.emit("petition.published", _published_payload(petition))
    elif decision.decision == "reject":
        petition = petition.reject(decision.reason or "", now)
        uow.emit(
            "petition.rejected", {"petition_id": petition.id, "reason": petition.rejection_reason}
        )
    elif decision.decision == "close":
        petition = petition.close(now)
        uow.emit("petition.closed", _closed_payload(petition, repo))
    else:
        petition = petition.hide(now)
        uow.emit("petition.hidden", {"petition_id": petition.id})
    repo.update(petition)
    uow.commit()
    return petition


def withdraw_petition(petition_id: str, author: Citizen, uow: UnitOfWork) -> Petition:
    repo = PetitionRepository(uow)
    petition = _get(repo, petition_id, lock=True).withdraw(author.sub, utcnow())
    repo.update(petition)
    uow.emit("petition.withdrawn", {"petition_id": petition.id})
    uow.commit()
    return petition


@dataclass(frozen=True)
class SignRequest:
    petition_id: str
    citizen: Citizen
    departement: str | None = None


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
    receipts = [o.as_dict() for o in outcomes if isinstance(o, Receipt)]
    if receipts:
        # Internal event (never forwarded to agencies): no citizen identity, only the receipts,
        # so that notifications can confirm a signature to a citizen who asks with its receipt.
        uow.emit(SIGNATURES_RECORDED, {"receipts": receipts})
    uow.commit()
    return outcomes


def withdraw_signature(petition_id: str, citizen: Citizen, uow: UnitOfWork) -> None:
    repo = PetitionRepository(uow)
    petition = _get(repo, petition_id)
    if not petition.is_open_at(utcnow()):
        raise domain.Closed("signatures can only be withdrawn while the petition is open")
    signature_id = repo.remove_signature(petition.id, citizen.sub)
    if signature_id is None:
        raise domain.NotSigned("this citizen has not signed this petition")
    uow.emit(
        "petition.signature_withdrawn", {"petition_id": petition.id, "signature_id": signature_id}
    )
    uow.commit()


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


def announce_counts(rules: PetitionRules, uow: UnitOfWork) -> int:
    """Emit ``petition.signature_count_changed`` for each petition whose count moved, and
    ``petition.threshold_reached`` the first time a count reaches each configured threshold.

    Called about once a second by each replica: agencies get at most about one count event per
    second per petition, however fast signatures arrive and however many replicas tick (each
    petition's announcement row is claimed with SKIP LOCKED, and only once
    ``ANNOUNCE_MIN_GAP_SECONDS`` have passed since its last announcement).
    """
    repo = PetitionRepository(uow)
    changed = [pid for pid, _ in repo.changed_counts()]
    now = utcnow()
    claimed = repo.claim_announcements(changed, now - timedelta(seconds=ANNOUNCE_MIN_GAP_SECONDS))
    if not claimed:
        uow.rollback()
        return 0
    counts = repo.counts(claimed)  # read again under the claim: the count may have moved
    repo.record_announcements(counts, now)
    for petition_id in claimed:
        count = counts[petition_id]
        payload = {
            "petition_id": petition_id,
            "signature_count": count,
            "counted_at": isoformat(now),
        }
        uow.emit("petition.signature_count_changed", payload)
        for threshold in domain.thresholds_crossed(count, rules.thresholds):
            if repo.reach_threshold(petition_id, threshold, now):
                uow.emit(
                    "petition.threshold_reached",
                    {"petition_id": petition_id, "threshold": threshold, "signature_count": count},
                )
    uow.commit()
    return len(claimed)


def close_expired(uow: UnitOfWork) -> int:
    """Close the open petitions whose deadline has passed (each replica takes its own)."""
    repo = PetitionRepository(uow)
    now = utcnow()
    expired = repo.expired(now)
    for petition in expired:
        closed = petition.close(now)
        repo.update(closed)
        uow.emit("petition.closed", _closed_payload(closed, repo))
    uow.commit()
    return len(expired)


def forget_citizen(sub: str, uow: UnitOfWork) -> tuple[int, int]:
    """Erasure (identity.citizen erased): the citizen's signatures still count, but nothing here
    links them or their petitions to the citizen any more. Returns (signatures, petitions)."""
    repo = PetitionRepository(uow)
    counted = repo.anonymise_citizen(sub)
    uow.commit()
    return counted


def _published_payload(petition: Petition) -> dict[str, Any]:
    return {
        "petition_id": petition.id,
        "title": petition.title,
        "published_at": _iso(petition.published_at),
        "deadline": _iso(petition.deadline),
    }


def _closed_payload(petition: Petition, repo: PetitionRepository) -> dict[str, Any]:
    count = repo.counts([petition.id])[petition.id]
    return {
        "petition_id": petition.id,
        "signature_count": count,
        "closed_at": _iso(petition.closed_at),
    }


def _iso(moment: Any) -> str | None:
    return isoformat(moment) if moment else None


def _get(repo: PetitionRepository, petition_id: str, lock: bool = False) -> Petition:
    petition = repo.get(petition_id, lock=lock)
    if petition is None:
        raise domain.NotFound("no such petition")
    return petition


def citizen_from_claims(claims: dict[str, Any]) -> Citizen:
    return Citizen(
        sub=str(claims["sub"]), acr=str(claims.get("acr", "")), adult=claims.get("adult") is True
    )
