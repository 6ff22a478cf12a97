"""Queries of the login and logout flows: pending logins, codes, sessions, pending logouts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from services.identity.storage.tables import (
    authorization_codes,
    grants,
    pending_logins,
    pending_logouts,
    refresh_tokens,
    sessions,
)
from shared.db import UnitOfWork

# --- pending logins --------------------------------------------------------------------------


def add_pending_login(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    uow.execute(pending_logins.insert().values(**values))


def find_pending_login(uow: UnitOfWork, state: str) -> dict[str, Any] | None:
    query = sa.select(pending_logins).where(pending_logins.c.state == state)
    row = uow.execute(query).mappings().first()
    return dict(row) if row else None


def take_pending_login(uow: UnitOfWork, state: str) -> bool:
    """Single use: True for the one caller that deletes it."""
    result = uow.execute(pending_logins.delete().where(pending_logins.c.state == state))
    return bool(result.rowcount == 1)


# --- authorization codes ---------------------------------------------------------------------


def add_code(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    uow.execute(authorization_codes.insert().values(**values))


def claim_code(uow: UnitOfWork, code_hash: str, now: int) -> dict[str, Any] | None:
    """Mark the code used, atomically; None if unknown, expired or already used."""
    table = authorization_codes
    result = uow.execute(
        table.update()
        .where(table.c.code_hash == code_hash, table.c.used_at.is_(None), table.c.expires_at > now)
        .values(used_at=now)
    )
    if result.rowcount != 1:
        return None
    row = uow.execute(sa.select(table).where(table.c.code_hash == code_hash)).mappings().one()
    return dict(row)


def code_was_used(uow: UnitOfWork, code_hash: str) -> bool:
    table = authorization_codes
    query = sa.select(table.c.used_at).where(table.c.code_hash == code_hash)
    return uow.execute(query).scalar() is not None


# --- the hub's sessions ----------------------------------------------------------------------


def add_session(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    uow.execute(sessions.insert().values(**values))


def take_session(uow: UnitOfWork, sid: str) -> dict[str, Any] | None:
    """Ends the session: its row, and the refresh tokens and grants issued within it."""
    row = uow.execute(sa.select(sessions).where(sessions.c.sid == sid)).mappings().first()
    for table in (refresh_tokens, grants):
        uow.execute(table.delete().where(table.c.sid == sid))
    uow.execute(sessions.delete().where(sessions.c.sid == sid))
    return dict(row) if row else None


def add_pending_logout(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    uow.execute(pending_logouts.insert().values(**values))


def take_pending_logout(uow: UnitOfWork, state: str, now: int) -> dict[str, Any] | None:
    table = pending_logouts
    found = table.c.state == state
    row = uow.execute(sa.select(table).where(found, table.c.expires_at > now)).mappings().first()
    uow.execute(table.delete().where(found))
    return dict(row) if row else None


def purge_expired(uow: UnitOfWork, now: int, keep_used_codes_for: int) -> int:
    """Delete what has expired; used codes stay a while so that a replay is still recognised."""
    removed = 0
    for table in (pending_logins, grants, sessions, pending_logouts, refresh_tokens):
        removed += uow.execute(table.delete().where(table.c.expires_at < now)).rowcount
    old = authorization_codes.c.expires_at < now - keep_used_codes_for
    removed += uow.execute(authorization_codes.delete().where(old)).rowcount
    return removed
