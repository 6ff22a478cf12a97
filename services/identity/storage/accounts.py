"""Queries about clients and citizens, and a citizen's erasure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from services.identity.domain.clients import Client
from services.identity.storage.tables import (
    authorization_codes,
    citizens,
    clients,
    grants,
    refresh_tokens,
    sessions,
)
from shared.clock import utcnow
from shared.db import UnitOfWork

CITIZEN_BATCH = 1000

# --- clients ---------------------------------------------------------------------------------


def add_client(uow: UnitOfWork, client: Client) -> None:
    uow.execute(
        clients.insert().values(
            client_id=client.client_id,
            secret_hash=client.secret_hash,
            name=client.name,
            kind=client.kind,
            scopes=list(client.scopes),
            redirect_uris=list(client.redirect_uris),
            public=client.public,
            disabled=client.disabled,
            created_at=utcnow(),
        )
    )


_FIND_CLIENT = sa.select(clients).where(
    clients.c.client_id == sa.bindparam("client_id", type_=clients.c.client_id.type)
)


def find_client(uow: UnitOfWork, client_id: str | None) -> Client | None:
    if not client_id:
        return None
    row = uow.execute(_FIND_CLIENT, {"client_id": client_id}).mappings().first()
    return client_from_row(row) if row else None


def all_clients(uow: UnitOfWork) -> list[Client]:
    rows = uow.execute(sa.select(clients).order_by(clients.c.created_at)).mappings().all()
    return [client_from_row(row) for row in rows]


def update_client(uow: UnitOfWork, client_id: str, **values: Any) -> bool:
    query = clients.update().where(clients.c.client_id == client_id).values(**values)
    return bool(uow.execute(query).rowcount == 1)


def client_from_row(row: Any) -> Client:
    return Client(
        client_id=row["client_id"],
        name=row["name"],
        kind=row["kind"],
        scopes=tuple(row["scopes"]),
        redirect_uris=tuple(row["redirect_uris"]),
        public=row["public"],
        disabled=row["disabled"],
        secret_hash=row["secret_hash"],
    )


# --- citizens --------------------------------------------------------------------------------


def citizen_id_for(uow: UnitOfWork, fingerprint: str, new_id: str) -> str:
    """The citizen with this fingerprint, created if new.

    Race-safe: two first logins of one person insert "on conflict do nothing" on the unique
    fingerprint, then both read the row that won. On PostgreSQL the insert and the lookup are one
    statement (a data-modifying CTE): the citizen inserted, else the one already there.
    """
    params = {"fingerprint": fingerprint, "new_id": new_id, "created_at": utcnow()}
    if uow.dialect == "postgresql":
        found = uow.execute(_CITIZEN_PG, params).scalar()
        if found:
            return str(found)
        # NOTE: a concurrent first login of the same person inserted it after this statement's
        # snapshot was taken (the insert waited for it, then did nothing): read it now.
        return str(uow.execute(_CITIZEN_LOOKUP, params).scalar_one())
    found = uow.execute(_CITIZEN_LOOKUP, params).scalar()
    if found:
        return str(found)
    uow.execute(_citizen_insert(sqlite.insert), params)
    return str(uow.execute(_CITIZEN_LOOKUP, params).scalar_one())


def _citizen_insert(insert: Any) -> Any:
    return (
        insert(citizens)
        .values(
            id=sa.bindparam("new_id", type_=citizens.c.id.type),
            fingerprint=sa.bindparam("fingerprint", type_=citizens.c.fingerprint.type),
            created_at=sa.bindparam("created_at", type_=citizens.c.created_at.type),
        )
        .on_conflict_do_nothing()
    )


# Built once: making a statement and its cache key costs more than running it.
_CITIZEN_LOOKUP = sa.select(citizens.c.id).where(
    citizens.c.fingerprint == sa.bindparam("fingerprint", type_=citizens.c.fingerprint.type)
)
# NOTE: in text because SQLAlchemy cannot cache the PostgreSQL dialect's INSERT ... ON CONFLICT
# (it would compile it anew for every login).
_CITIZEN_PG = sa.text(
    "WITH inserted AS ("
    " INSERT INTO citizens (id, fingerprint, created_at)"
    " VALUES (:new_id, :fingerprint, :created_at)"
    " ON CONFLICT DO NOTHING RETURNING id)"
    " SELECT id FROM inserted UNION ALL SELECT id FROM citizens WHERE fingerprint = :fingerprint"
).bindparams(
    sa.bindparam("new_id", type_=citizens.c.id.type),
    sa.bindparam("fingerprint", type_=citizens.c.fingerprint.type),
    sa.bindparam("created_at", type_=citizens.c.created_at.type),
)


def citizen_ids(uow: UnitOfWork) -> Iterator[str]:
    """Every citizen id, in batches (erasure looks a pairwise subject up among them)."""
    after = ""
    while True:
        query = (
            sa.select(citizens.c.id)
            .where(citizens.c.id > after)
            .order_by(citizens.c.id)
            .limit(CITIZEN_BATCH)
        )
        batch = list(uow.execute(query).scalars())
        yield from batch
        if len(batch) < CITIZEN_BATCH:
            return
        after = batch[-1]


def citizen_fingerprint(uow: UnitOfWork, citizen_id: str) -> str | None:
    """The citizen's fingerprint (for their signer claim); None if they were erased."""
    query = sa.select(citizens.c.fingerprint).where(citizens.c.id == citizen_id)
    found = uow.execute(query).scalar()
    return str(found) if found is not None else None


def erase_citizen(uow: UnitOfWork, citizen_id: str) -> bool:
    """Forget the citizen and everything issued for them; True if they were known."""
    for table in (authorization_codes, grants, refresh_tokens, sessions):
        uow.execute(table.delete().where(table.c.citizen_id == citizen_id))
    return bool(uow.execute(citizens.delete().where(citizens.c.id == citizen_id)).rowcount == 1)
