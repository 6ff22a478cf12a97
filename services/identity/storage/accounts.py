"""Queries about clients and citizens, and a citizen's erasure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from services.identity.clients import Client
from services.identity.storage.tables import (
    authorization_codes,
    citizens,
    clients,
    grants,
    refresh_tokens,
    sessions,
)
from shared.db import UnitOfWork
from shared.envelope import utcnow

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


def find_client(uow: UnitOfWork, client_id: str | None) -> Client | None:
    if not client_id:
        return None
    row = uow.execute(sa.select(clients).where(clients.c.client_id == client_id)).mappings().first()
    return _client(row) if row else None


def all_clients(uow: UnitOfWork) -> list[Client]:
    rows = uow.execute(sa.select(clients).order_by(clients.c.created_at)).mappings().all()
    return [_client(row) for row in rows]


def update_client(uow: UnitOfWork, client_id: str, **values: Any) -> bool:
    query = clients.update().where(clients.c.client_id == client_id).values(**values)
    return bool(uow.execute(query).rowcount == 1)


def _client(row: Any) -> Client:
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
    fingerprint, then both read the row that won.
    """
    query = sa.select(citizens.c.id).where(citizens.c.fingerprint == fingerprint)
    found = uow.execute(query).scalar()
    if found:
        return str(found)
    values = {"id": new_id, "fingerprint": fingerprint, "created_at": utcnow()}
    uow.execute(_insert(uow)(citizens).values(**values).on_conflict_do_nothing())
    return str(uow.execute(query).scalar_one())


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


def erase_citizen(uow: UnitOfWork, citizen_id: str) -> bool:
    """Forget the citizen and everything issued for them; True if they were known."""
    for table in (authorization_codes, grants, refresh_tokens, sessions):
        uow.execute(table.delete().where(table.c.citizen_id == citizen_id))
    return bool(uow.execute(citizens.delete().where(citizens.c.id == citizen_id)).rowcount == 1)


def _insert(uow: UnitOfWork) -> Any:
    if uow.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert
