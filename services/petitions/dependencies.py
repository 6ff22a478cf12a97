"""The petitions service's nameko dependencies: the deployment's rules, and the signature desk.

Signing under load: concurrent signatures share one transaction (group commit). Each HTTP worker
hands its signature to :class:`SignatureDesk` and waits for its receipt; the desk's flushers
write whatever has queued in one transaction (:func:`handlers.signatures.sign_batch`). A
signature alone is written at once; a crowd is written a batch at a time, a handful of round
trips per batch instead of per signature. The receipt is returned only once its batch is
committed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from nameko.extensions import DependencyProvider

from services.petitions.commands import SignRequest
from services.petitions.domain import PetitionError, PetitionRules, Receipt
from services.petitions.handlers import signatures
from shared.config import Settings
from shared.dependencies import hub_settings
from shared.desks import GroupCommitDesk

log = logging.getLogger(__name__)

MAX_BATCH = 200
FLUSHERS = 2  # one batch is written while the next one gathers
# NOTE: batches lock their rows in one order (see PetitionRepository.add_signatures), so deadlocks
# should not happen; a serialization failure or deadlock is retried all the same.
RETRIED_SQLSTATES = {"40001", "40P01"}
ATTEMPTS = 3


def rules_from_settings(settings: Settings) -> PetitionRules:
    """The deployment's petition rules (``HUB_PETITION_*``, ``HUB_SIGNATURE_RETENTION_DAYS``)."""
    return PetitionRules(
        thresholds=settings.petition_thresholds,
        duration=timedelta(days=settings.petition_duration_days),
        min_sponsors=settings.petition_min_sponsors,
        retention=timedelta(days=settings.signature_retention_days),
    )


class Rules(DependencyProvider):
    """The deployment's petition rules (read once: a container's settings do not change)."""

    def setup(self) -> None:
        self.rules = rules_from_settings(hub_settings(self.container.config))

    def get_dependency(self, worker_ctx: Any) -> PetitionRules:
        return self.rules


class SignatureDesk(GroupCommitDesk[SignRequest, Receipt]):
    metric_name = "hub_petitions_signature_batch_size"
    metric_help = "Signatures written per transaction (group commit)."
    max_batch = MAX_BATCH
    flushers = FLUSHERS

    def sign(self, request: SignRequest) -> Receipt:
        """The receipt once committed, or raise the refusal (a PetitionError)."""
        return self.submit(request)

    def write(self, requests: Sequence[SignRequest]) -> list[Receipt | PetitionError]:
        for attempt in range(1, ATTEMPTS + 1):
            uow = self.database.unit_of_work()
            try:
                return signatures.sign_batch(requests, uow)
            except sa.exc.DBAPIError as exc:
                code = getattr(exc.orig, "pgcode", None)
                if code not in RETRIED_SQLSTATES or attempt == ATTEMPTS:
                    raise
                log.warning("a signature batch met %s; retrying (attempt %d)", code, attempt)
            finally:
                uow.close()
        raise AssertionError("unreachable")  # pragma: no cover
