"""Tables of the identity service's database (migrations in ./migrations), and their queries.

Expiries are whole seconds since the epoch (``*_at`` integers): the same on SQLite and PostgreSQL,
no time-zone round trips. Codes, secrets and browser keys are stored as SHA-256 digests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from services.identity.clients import Client
from shared.db import UnitOfWork
from shared.envelope import utcnow
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = sa.MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    # One row per generation: two workers creating the first key race on this unique column.
    sa.Column("generation", sa.Integer, nullable=False, unique=True),
    sa.Column("alg", sa.String(10), nullable=False),
    sa.Column("private_pem", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=utcnow),
)

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("secret_hash", sa.String(64), nullable=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("redirect_uris", sa.JSON, nullable=False),
    sa.Column("public", sa.Boolean, nullable=False, default=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=utcnow),
)

citizens = sa.Table(
    "citizens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=utcnow),
)

# A login in progress at an upstream provider: the client's request, bound to one browser.
pending_logins = sa.Table(
    "pending_logins",
    metadata,
    sa.Column("state", sa.String(64), primary_key=True),  # the state sent upstream
    sa.Column("browser_hash", sa.String(64), nullable=False),
    sa.Column("provider_id", sa.String(64), nullable=False),
    sa.Column("upstream_nonce", sa.String(64), nullable=False),
    sa.Column("upstream_verifier", sa.String(128), nullable=False),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("client_state", sa.Text, nullable=True),
    sa.Column("client_nonce", sa.Text, nullable=True),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("code_challenge", sa.String(64), nullable=True),
    sa.Column("acr", sa.String(16), nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
)

authorization_codes = sa.Table(
    "authorization_codes",
    metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("citizen_id", sa.String(32), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("nonce", sa.Text, nullable=True),
    sa.Column("acr", sa.String(16), nullable=False),
    sa.Column("adult", sa.Boolean, nullable=False),
    sa.Column("claims", sa.JSON, nullable=False),  # only the claims released to the client
    sa.Column("code_challenge", sa.String(64), nullable=True),
    sa.Column("auth_time", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
    sa.Column("used_at", sa.BigInteger, nullable=True),
)

# What an access token entitles at userinfo; deleted when the code that issued it is replayed.
grants = sa.Table(
    "grants",
    metadata,
    sa.Column("jti", sa.String(64), primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=True, index=True),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("citizen_id", sa.String(32), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("claims", sa.JSON, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
)


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
    if row is None:
        return None
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
        return found
    values = {"id": new_id, "fingerprint": fingerprint, "created_at": utcnow()}
    uow.execute(_insert(uow)(citizens).values(**values).on_conflict_do_nothing())
    return uow.execute(query).scalar_one()


def _insert(uow: UnitOfWork) -> Any:
    if uow.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


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
    return result.rowcount == 1


# --- authorization codes and grants ----------------------------------------------------------


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


def add_grant(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    uow.execute(grants.insert().values(**values))


def find_grant(uow: UnitOfWork, jti: str, now: int) -> dict[str, Any] | None:
    query = sa.select(grants).where(grants.c.jti == jti, grants.c.expires_at > now)
    row = uow.execute(query).mappings().first()
    return dict(row) if row else None


def revoke_grants(uow: UnitOfWork, *, code_hash: str | None = None, jti: str | None = None) -> int:
    condition = grants.c.code_hash == code_hash if code_hash else grants.c.jti == jti
    return uow.execute(grants.delete().where(condition)).rowcount


def purge_expired(uow: UnitOfWork, now: int, keep_used_codes_for: int) -> int:
    """Delete what has expired; used codes stay a while so that a replay is still recognised."""
    removed = uow.execute(pending_logins.delete().where(pending_logins.c.expires_at < now)).rowcount
    removed += uow.execute(grants.delete().where(grants.c.expires_at < now)).rowcount
    old = authorization_codes.c.expires_at < now - keep_used_codes_for
    removed += uow.execute(authorization_codes.delete().where(old)).rowcount
    return removed
