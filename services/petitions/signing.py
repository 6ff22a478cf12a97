"""Signing under load: concurrent signatures share one transaction (group commit).

Each HTTP worker hands its signature to :class:`SignatureDesk` and waits for its receipt; the desk's
flushers write whatever has queued in one transaction (:func:`handlers.sign_batch`). A signature
alone is written at once; a crowd is written a batch at a time, a handful of round trips per batch
instead of per signature. The receipt is returned only once its batch is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from prometheus_client import Histogram

from services.petitions import handlers
from services.petitions.domain import PetitionError
from services.petitions.handlers import Receipt, SignRequest
from shared.batching import GroupCommit
from shared.dependencies import Database
from shared.metrics import ServiceMetrics, get_or_create

log = logging.getLogger(__name__)

MAX_BATCH = 200
FLUSHERS = 2  # one batch is written while the next one gathers
# NOTE: batches lock their rows in one order (see PetitionRepository.add_signatures), so deadlocks
# should not happen; a serialization failure or deadlock is retried all the same.
RETRIED_SQLSTATES = {"40001", "40P01"}
ATTEMPTS = 3


class SignatureDesk(DependencyProvider):
    def setup(self) -> None:
        databases = [d for d in self.container.dependencies if isinstance(d, Database)]
        if len(databases) != 1:
            raise RuntimeError("SignatureDesk needs the service's one Database dependency")
        self.database = databases[0]
        sizes = get_or_create(
            ServiceMetrics(self.container.service_name).registry,
            Histogram,
            "hub_petitions_signature_batch_size",
            "Signatures written per transaction (group commit).",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200),
        )
        self.group: GroupCommit[SignRequest, Receipt] = GroupCommit(
            self._write, MAX_BATCH, FLUSHERS, on_batch=sizes.observe
        )

    def start(self) -> None:
        self.group.start(self.container.spawn_managed_thread)

    def stop(self) -> None:
        self.group.stop()

    def get_dependency(self, worker_ctx: Any) -> SignatureDesk:
        return self

    def sign(self, request: SignRequest) -> Receipt:
        """The receipt once committed, or raise the refusal (a PetitionError)."""
        return self.group.submit(request)

    def _write(self, requests: Sequence[SignRequest]) -> list[Receipt | PetitionError]:
        for attempt in range(1, ATTEMPTS + 1):
            uow = self.database.unit_of_work()
            try:
                return handlers.sign_batch(requests, uow)
            except sa.exc.DBAPIError as exc:
                code = getattr(exc.orig, "pgcode", None)
                if code not in RETRIED_SQLSTATES or attempt == ATTEMPTS:
                    raise
                log.warning("a signature batch met %s; retrying (attempt %d)", code, attempt)
            finally:
                uow.close()
        raise AssertionError("unreachable")  # pragma: no cover
