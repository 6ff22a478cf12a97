"""Each process's deny-list of revoked access tokens, read from its service's ``revocations``
table (:mod:`shared.revocation`) and checked after a token's signature and claims.

The check is a few set and dict lookups: no database query per request. A managed thread
(:class:`shared.dependencies.AccessTokens`) calls :meth:`RevocationFeed.refresh` every
:data:`REFRESH_SECONDS`, and at start, so every replica, one that was down when the event was
published included, refuses a revoked token about a second after any replica stored it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.auth import LEEWAY_SECONDS
from shared.revocation import CLIENT, JTI, REVOCATIONS, SUBJECT

log = logging.getLogger(__name__)

REFRESH_SECONDS = 1.0
# NOTE: a reload is skipped while the table's fingerprint is unchanged; a full one now and then
# also forgets entries that expired but were not pruned yet.
FULL_RELOAD_SECONDS = 30.0
PRUNE_SECONDS = 10.0

_TABLE = REVOCATIONS
# count, highest and sum of seq: changes with any row added or pruned, even one whose
# transaction committed after a later one's.
_FINGERPRINT = sa.select(
    sa.func.count(), sa.func.coalesce(sa.func.max(_TABLE.c.seq), 0), sa.func.sum(_TABLE.c.seq)
)
_CURRENT = sa.select(_TABLE.c.kind, _TABLE.c.value, _TABLE.c.issued_before).where(
    _TABLE.c.expires_at >= sa.bindparam("cutoff", type_=sa.BigInteger)
)
_PRUNE = sa.delete(_TABLE).where(_TABLE.c.expires_at < sa.bindparam("cutoff", type_=sa.BigInteger))


@dataclass(frozen=True)
class Revoked:
    """A snapshot: revoked ``jti``s, and per client and per subject the time before which every
    token issued is revoked."""

    jtis: frozenset[str] = frozenset()
    clients: Mapping[str, int] = field(default_factory=dict)
    subjects: Mapping[str, int] = field(default_factory=dict)

    def refuses(self, claims: Mapping[str, Any]) -> bool:
        """For claims already verified (``sub`` a string, ``iat`` a number, ``jti`` a string
        when present)."""
        if claims.get("jti") in self.jtis:
            return True
        iat = claims["iat"]
        client = claims.get("client_id")
        if isinstance(client, str) and iat < self.clients.get(client, 0):
            return True
        return bool(iat < self.subjects.get(claims["sub"], 0))

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, int]]) -> Revoked:
        jtis: set[str] = set()
        cutoffs: dict[str, dict[str, int]] = {CLIENT: {}, SUBJECT: {}}
        for kind, value, issued_before in rows:
            if kind == JTI:
                jtis.add(value)
            elif kind in cutoffs:  # a kind this version does not know is left alone
                known = cutoffs[kind]
                known[value] = max(known.get(value, 0), int(issued_before))
        return cls(frozenset(jtis), cutoffs[CLIENT], cutoffs[SUBJECT])


class RevocationFeed:
    """The current :class:`Revoked` snapshot of one service's table, and its upkeep."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.revoked = Revoked()
        self.loaded = False  # until the first load, nothing can be checked
        self._clock = clock
        self._monotonic = monotonic
        self._fingerprint: tuple[Any, ...] | None = None
        self._loaded_at = self._pruned_at = float("-inf")

    def refresh(self) -> bool:
        """Reload the snapshot if the table changed; prune expired rows now and then. False:
        nothing more is waiting (:func:`shared.loops.run_loop`)."""
        now = self._monotonic()
        cutoff = int(self._clock()) - LEEWAY_SECONDS
        if now - self._pruned_at >= PRUNE_SECONDS:
            with self.engine.begin() as conn:
                pruned = conn.execute(_PRUNE, {"cutoff": cutoff}).rowcount
            self._pruned_at = now
            if pruned:
                log.info("pruned %d expired revocations", pruned)
        with self.engine.connect() as conn:
            fingerprint = tuple(conn.execute(_FINGERPRINT).one())
            if fingerprint != self._fingerprint or now - self._loaded_at >= FULL_RELOAD_SECONDS:
                rows = conn.execute(_CURRENT, {"cutoff": cutoff}).tuples().all()
                self.revoked = Revoked.from_rows(rows)
                self._fingerprint, self._loaded_at = fingerprint, now
        self.loaded = True
        return False
