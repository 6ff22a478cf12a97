"""What the timers do: announce counts that moved and thresholds reached, close expired
petitions."""

from __future__ import annotations

from datetime import timedelta

from services.petitions import domain
from services.petitions.domain import PetitionRules, Status
from services.petitions.events import SignatureCountChanged, ThresholdReached
from services.petitions.handlers.ledger import Ledger
from services.petitions.handlers.petitions import closed
from services.petitions.storage.repository import PetitionRepository
from shared.clock import isoformat, utcnow
from shared.db import UnitOfWork

# A petition is announced at most once in this long, whichever replica ticks (timers: 1 s).
ANNOUNCE_MIN_GAP_SECONDS = 0.8


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
        uow.emit(SignatureCountChanged(petition_id, count, isoformat(now)))
        for threshold in domain.thresholds_crossed(count, rules.thresholds):
            if repo.reach_threshold(petition_id, threshold, now):
                uow.emit(ThresholdReached(petition_id, threshold, count))
    uow.commit()
    return len(claimed)


def close_expired(uow: UnitOfWork) -> int:
    """Close the open petitions whose deadline has passed (each replica takes its own).

    NOTE: each in its own transaction, its row locked FOR UPDATE (waiting for the signing
    transactions in flight, which hold it FOR SHARE) before its count is read: no signature
    commits after the count its ``close`` leaf and event carry.
    """
    repo = PetitionRepository(uow)
    now = utcnow()
    candidates = [p.id for p in repo.expired(now)]
    uow.rollback()
    done = 0
    for petition_id in candidates:
        petition = repo.get(petition_id, lock=True)
        if petition is None or petition.status != Status.OPEN or petition.is_open_at(now):
            uow.rollback()  # another replica closed it meanwhile
            continue
        ended = petition.close(now)
        ledger = Ledger()
        repo.update(ended)
        uow.emit(closed(ended, repo, ledger, now))
        ledger.emit(uow)
        uow.commit()
        done += 1
    return done
