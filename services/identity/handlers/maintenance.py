"""The periodic purge: what has expired is deleted, so that nothing is kept longer than it serves
(docs/identity-data.md)."""

from __future__ import annotations

from services.identity import storage
from services.identity.adapters.keys import purge_retired
from services.identity.handlers.context import IdentityContext
from shared.db import UnitOfWork

KEEP_USED_CODES_SECONDS = 3600  # a replayed code is still recognised (and revokes) for an hour


def purge_expired(uow: UnitOfWork, ctx: IdentityContext) -> int:
    """Deletes expired logins, codes, sessions, tokens and retired keys; how many rows went."""
    now = ctx.now()
    removed = storage.purge_expired(uow, now, KEEP_USED_CODES_SECONDS)
    uow.commit()
    removed += purge_retired(ctx.keys.engine, now)
    ctx.metrics.signing_key_age.set(ctx.keys.signing_key_age())
    return removed
