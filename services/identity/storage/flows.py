"""Queries of the login and logout flows: pending logins, codes, sessions, pending logouts."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from services.identity.domain.clients import Client
from services.identity.storage.accounts import citizen_id_for, client_from_row, find_client
from services.identity.storage.tables import (
    authorization_codes,
    citizens,
    clients,
    grants,
    pending_logins,
    pending_logouts,
    refresh_tokens,
    sessions,
)
from shared.clock import utcnow
from shared.db import UnitOfWork

# --- pending logins --------------------------------------------------------------------------


# NOTE: the statements of the login path are built once, with bound parameters: making a
# statement and its cache key costs SQLAlchemy more CPU than running it.
def _param(table: sa.Table, column: str, name: str | None = None) -> Any:
    return sa.bindparam(name or column, type_=table.c[column].type)


_TAKE_PENDING_LOGIN = (
    pending_logins.delete()
    .where(
        pending_logins.c.state == _param(pending_logins, "state"),
        pending_logins.c.browser_hash == _param(pending_logins, "browser_hash"),
        pending_logins.c.provider_id == _param(pending_logins, "provider_id"),
    )
    .returning(*pending_logins.c)
)
_CLAIM_CODE = (
    authorization_codes.update()
    .where(
        authorization_codes.c.code_hash == _param(authorization_codes, "code_hash", "claimed"),
        authorization_codes.c.used_at.is_(None),
        authorization_codes.c.expires_at > _param(authorization_codes, "expires_at", "now"),
    )
    .values(used_at=_param(authorization_codes, "used_at", "spent_at"))
    .returning(*authorization_codes.c)
)
_CLAIMED = _CLAIM_CODE.cte("claimed")
# The client (left) and the code claimed (right; NULLs when it is not): one round trip.
# NOTE: no parameter may be named like a column: the UPDATE would take it for a new value.
_CLIENT_AND_CLAIMED_CODE = (
    sa.select(
        *(c.label(f"client_{c.name}") for c in clients.c),
        *(c.label(f"code_{c.name}") for c in _CLAIMED.c),
    )
    .select_from(clients.outerjoin(_CLAIMED, sa.true()))
    .where(clients.c.client_id == _param(clients, "client_id", "authenticating"))
)


def add_pending_login(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    uow.execute(pending_logins.insert(), dict(values))


def find_pending_login(uow: UnitOfWork, state: str) -> dict[str, Any] | None:
    query = sa.select(pending_logins).where(pending_logins.c.state == state)
    row = uow.execute(query).mappings().first()
    return dict(row) if row else None


def take_pending_login(
    uow: UnitOfWork, state: str, browser_hash: str, provider_id: str
) -> dict[str, Any] | None:
    """Single use: the login for the one caller that deletes it, in one statement.

    Only the browser that started it, answering from the provider it was sent to, takes it:
    anyone else leaves it in place (and :func:`find_pending_login` tells them why not).
    """
    params = {"state": state, "browser_hash": browser_hash, "provider_id": provider_id}
    row = uow.execute(_TAKE_PENDING_LOGIN, params).mappings().first()
    return dict(row) if row else None


# --- authorization codes ---------------------------------------------------------------------


def add_code(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    uow.execute(authorization_codes.insert().values(**values))


def claim_code(uow: UnitOfWork, code_hash: str, now: int) -> dict[str, Any] | None:
    """Mark the code used, atomically (UPDATE ... RETURNING); None if unknown, expired or used."""
    params = {"claimed": code_hash, "now": now, "spent_at": now}
    row = uow.execute(_CLAIM_CODE, params).mappings().first()
    return dict(row) if row else None


def find_client_and_claim_code(
    uow: UnitOfWork, client_id: str | None, code_hash: str, now: int
) -> tuple[Client | None, dict[str, Any] | None]:
    """The client, and the code marked used as :func:`claim_code` does, in one statement.

    NOTE: the code is claimed before the client is authenticated: the caller rolls the claim
    back when the client fails (the code stays usable by its owner).
    """
    if not client_id or uow.dialect != "postgresql":
        return find_client(uow, client_id), claim_code(uow, code_hash, now)
    params = {"authenticating": client_id, "claimed": code_hash, "now": now, "spent_at": now}
    row = uow.execute(_CLIENT_AND_CLAIMED_CODE, params).mappings().first()
    if row is None:
        return None, None
    client = client_from_row({c.name: row[f"client_{c.name}"] for c in clients.c})
    if row["code_code_hash"] is None:
        return client, None
    return client, {c.name: row[f"code_{c.name}"] for c in authorization_codes.c}


def code_was_used(uow: UnitOfWork, code_hash: str) -> bool:
    table = authorization_codes
    query = sa.select(table.c.used_at).where(table.c.code_hash == code_hash)
    return uow.execute(query).scalar() is not None


# --- the hub's sessions ----------------------------------------------------------------------


def add_session(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    uow.execute(sessions.insert().values(**values))


def add_session_and_code(
    uow: UnitOfWork, session: Mapping[str, Any], code: Mapping[str, Any]
) -> None:
    """The hub's session and the client's code, in one round trip."""
    insert_all(uow, (sessions, session), (authorization_codes, code))


def add_citizen_session_and_code(
    uow: UnitOfWork,
    fingerprint: str,
    new_citizen_id: str,
    session: Mapping[str, Any],
    code: Mapping[str, Any],
) -> str:
    """The citizen with this fingerprint (added if new), the hub's session and the client's code
    for them; the citizen's id. On PostgreSQL in one statement (data-modifying CTEs).

    Race-safe like :func:`citizen_id_for`: when a concurrent first login of the same person adds
    the citizen after this statement's snapshot, the statement finds no citizen and adds nothing;
    the citizen is then read, and the session and code added, by two more statements.
    """
    if uow.dialect == "postgresql":
        shape = (tuple(sorted(session)), tuple(sorted(code)))
        params = {
            "fingerprint": fingerprint,
            "new_id": new_citizen_id,
            "created_at": utcnow(),
            **{f"s_{k}": v for k, v in session.items()},
            **{f"c_{k}": v for k, v in code.items()},
        }
        found = uow.execute(_citizen_session_code_statement(shape), params).scalar()
        if found:
            return str(found)
    citizen_id = citizen_id_for(uow, fingerprint, new_citizen_id)
    add_session_and_code(
        uow, {**session, "citizen_id": citizen_id}, {**code, "citizen_id": citizen_id}
    )
    return citizen_id


_FOUND_OR_ADDED_CITIZEN = (
    "WITH inserted AS ("
    " INSERT INTO citizens (id, fingerprint, created_at)"
    " VALUES (:new_id, :fingerprint, :created_at)"
    " ON CONFLICT DO NOTHING RETURNING id),"
    " citizen AS (SELECT id FROM inserted UNION ALL"
    " SELECT id FROM citizens WHERE fingerprint = :fingerprint LIMIT 1),"
)


@lru_cache(maxsize=8)
def _citizen_session_code_statement(shape: tuple[tuple[str, ...], tuple[str, ...]]) -> Any:
    """In text: SQLAlchemy would compile INSERT ... ON CONFLICT anew for every login."""
    session_columns, code_columns = shape
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]

    def insert(table: sa.Table, prefix: str, columns: tuple[str, ...]) -> str:
        # NOTE: each value is cast to its column's type: in a SELECT list PostgreSQL would take
        # a bare parameter for text, which a JSON column does not accept.
        # Only the table's own column names and types reach the text (table.c refuses others).
        names = ", ".join(table.c[c].name for c in columns)
        values = ", ".join(
            f"CAST(:{prefix}{c} AS {table.c[c].type.compile(dialect=dialect)})" for c in columns
        )
        return (
            f"INSERT INTO {table.name} ({names}, citizen_id)"  # noqa: S608 - see above
            f" SELECT {values}, citizen.id FROM citizen"
        )

    session_insert = insert(sessions, "s_", session_columns)
    code_insert = insert(authorization_codes, "c_", code_columns) + " RETURNING citizen_id"
    sql = _FOUND_OR_ADDED_CITIZEN + f" new_session AS ({session_insert}) {code_insert}"
    binds = [
        sa.bindparam("new_id", type_=citizens.c.id.type),
        sa.bindparam("fingerprint", type_=citizens.c.fingerprint.type),
        sa.bindparam("created_at", type_=citizens.c.created_at.type),
        *(sa.bindparam(f"s_{c}", type_=sessions.c[c].type) for c in session_columns),
        *(sa.bindparam(f"c_{c}", type_=authorization_codes.c[c].type) for c in code_columns),
    ]
    return sa.text(sql).bindparams(*binds)


def insert_all(uow: UnitOfWork, *rows: tuple[sa.Table, Mapping[str, Any]]) -> None:
    """INSERT one row in each table; on PostgreSQL in one statement (data-modifying CTEs)."""
    if uow.dialect != "postgresql":
        for table, values in rows:
            uow.execute(table.insert(), dict(values))
        return
    shape = tuple((table, tuple(sorted(values))) for table, values in rows)
    params = {f"r{i}_{k}": v for i, (_, values) in enumerate(rows) for k, v in values.items()}
    uow.execute(_insert_all_statement(shape), params)


@lru_cache(maxsize=32)
def _insert_all_statement(shape: tuple[tuple[sa.Table, tuple[str, ...]], ...]) -> Any:
    """``WITH insert_0 AS (INSERT ...), ... INSERT ...``, parameters named ``r<i>_<column>``."""
    inserts = [
        table.insert().values({c: _param(table, c, f"r{i}_{c}") for c in columns})
        for i, (table, columns) in enumerate(shape)
    ]
    *first, statement = inserts
    for i, insert in enumerate(first):
        statement = statement.add_cte(insert.cte(f"insert_{i}"))
    return statement


def take_session(uow: UnitOfWork, sid: str) -> tuple[dict[str, Any] | None, list[tuple[str, int]]]:
    """Ends the session: its row, and the refresh tokens and grants issued within it; the row,
    and the ``(jti, expires_at)`` of each access token revoked."""
    row = uow.execute(sa.select(sessions).where(sessions.c.sid == sid)).mappings().first()
    uow.execute(refresh_tokens.delete().where(refresh_tokens.c.sid == sid))
    deleted = uow.execute(
        grants.delete().where(grants.c.sid == sid).returning(grants.c.jti, grants.c.expires_at)
    )
    revoked = [(str(r.jti), int(r.expires_at)) for r in deleted]
    uow.execute(sessions.delete().where(sessions.c.sid == sid))
    return (dict(row) if row else None), revoked


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
