"""Queries about what tokens entitle: grants (access tokens at userinfo) and refresh tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from services.identity.storage.flows import insert_all
from services.identity.storage.tables import grants, refresh_tokens
from shared.db import UnitOfWork


def add_grant(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    uow.execute(grants.insert().values(**values))


def find_grant(uow: UnitOfWork, jti: str, now: int) -> dict[str, Any] | None:
    query = sa.select(grants).where(grants.c.jti == jti, grants.c.expires_at > now)
    row = uow.execute(query).mappings().first()
    return dict(row) if row else None


def revoke_grants(uow: UnitOfWork, *, code_hash: str | None = None, jti: str | None = None) -> int:
    """Revokes one access token (jti), or a whole family: every token one code issued."""
    if code_hash:
        uow.execute(refresh_tokens.delete().where(refresh_tokens.c.family == code_hash))
        return int(uow.execute(grants.delete().where(grants.c.code_hash == code_hash)).rowcount)
    return int(uow.execute(grants.delete().where(grants.c.jti == jti)).rowcount)


def revoke_client_tokens(uow: UnitOfWork, client_id: str) -> None:
    for table in (grants, refresh_tokens):
        uow.execute(table.delete().where(table.c.client_id == client_id))


def add_refresh_token(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    uow.execute(refresh_tokens.insert().values(**values))


def add_grant_and_refresh_token(
    uow: UnitOfWork, grant: Mapping[str, Any], refresh_token: Mapping[str, Any]
) -> None:
    """What one token response issues, in one round trip."""
    insert_all(uow, (grants, grant), (refresh_tokens, refresh_token))


def claim_refresh_token(uow: UnitOfWork, token_hash: str, now: int) -> dict[str, Any] | None:
    """RFC 9700 4.14.2 rotation: mark it used, atomically; None if unknown, expired or used."""
    table = refresh_tokens
    row = (
        uow.execute(
            table.update()
            .where(
                table.c.token_hash == token_hash,
                table.c.used_at.is_(None),
                table.c.expires_at > now,
            )
            .values(used_at=now)
            .returning(*table.c)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def spent_refresh_family(uow: UnitOfWork, token_hash: str) -> str | None:
    """The family of a refresh token that was already used (a replay), else None."""
    table = refresh_tokens
    query = sa.select(table.c.family).where(
        table.c.token_hash == token_hash, table.c.used_at.is_not(None)
    )
    found = uow.execute(query).scalar()
    return str(found) if found else None


def find_refresh_token(uow: UnitOfWork, token_hash: str) -> dict[str, Any] | None:
    query = sa.select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
    row = uow.execute(query).mappings().first()
    return dict(row) if row else None
