"""Queries about what tokens entitle: grants (access tokens at userinfo) and refresh tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from services.identity.storage.flows import insert_all
from services.identity.storage.statements import each_statement_commits
from services.identity.storage.tables import authorization_codes, grants, refresh_tokens
from shared.db import UnitOfWork


def add_grant(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    uow.execute(grants.insert().values(**values))


def find_grant(uow: UnitOfWork, jti: str, now: int) -> dict[str, Any] | None:
    query = sa.select(grants).where(grants.c.jti == jti, grants.c.expires_at > now)
    row = uow.execute(query).mappings().first()
    return dict(row) if row else None


def revoke_grants(
    uow: UnitOfWork, *, code_hash: str | None = None, jti: str | None = None
) -> list[tuple[str, int]]:
    """Revokes one access token (jti), or a whole family: every token one code issued, and its
    refresh tokens. The ``(jti, expires_at)`` of each access token revoked, for the resource
    services (services/identity/handlers/revocations.py)."""
    if code_hash:
        uow.execute(refresh_tokens.delete().where(refresh_tokens.c.family == code_hash))
        found = grants.c.code_hash == code_hash
    else:
        found = grants.c.jti == jti
    deleted = uow.execute(grants.delete().where(found).returning(grants.c.jti, grants.c.expires_at))
    return [(str(row.jti), int(row.expires_at)) for row in deleted]


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


# The happy path of the token endpoint's authorization_code grant, in one statement: the code is
# claimed only if every check the slow path makes passes (client enabled, authenticated, allowed
# to redeem codes; the code unspent, unexpired, issued to it for this redirect URI, its PKCE
# challenge met), and what it issues is added with it. Nothing happens unless all of it does,
# and then the slow path runs as before, with its errors and its effects (a spent code, a replay
# revoking its family). The values in the text are the tables' own names; every value is bound.
_REDEEM_CODE = sa.text(
    "WITH claimed AS ("
    " UPDATE authorization_codes AS code SET used_at = :now"
    " FROM clients AS client"
    " WHERE code.code_hash = :code_hash AND code.used_at IS NULL AND code.expires_at > :now"
    " AND code.client_id = :client_id AND code.redirect_uri = :redirect_uri"
    " AND ((CAST(:challenge AS VARCHAR) IS NULL AND code.code_challenge IS NULL)"
    " OR code.code_challenge = :challenge)"
    " AND client.client_id = :client_id AND NOT client.disabled"
    " AND client.kind = ANY(:kinds)"
    " AND ((client.public AND :public)"
    " OR (NOT client.public AND NOT :public AND client.secret_hash = :secret_hash))"
    " RETURNING code.*),"
    " new_grant AS (INSERT INTO grants"
    " (jti, code_hash, client_id, citizen_id, scopes, claims, expires_at, sid)"
    " SELECT :jti, code_hash, client_id, citizen_id, scopes, claims, :access_expires_at, sid"
    " FROM claimed),"
    " new_refresh AS (INSERT INTO refresh_tokens (token_hash, family, sid, client_id,"
    " citizen_id, scopes, claims, acr, adult, auth_time, expires_at)"
    " SELECT :refresh_hash, code_hash, sid, client_id, citizen_id, scopes, claims, acr, adult,"
    " auth_time, auth_time + :refresh_ttl FROM claimed)"
    # the citizen's fingerprint too, for the signer claim (no second round trip)
    " SELECT claimed.*, (SELECT fingerprint FROM citizens"
    " WHERE citizens.id = claimed.citizen_id) AS fingerprint FROM claimed"
).columns(*(c for c in authorization_codes.c), sa.column("fingerprint", sa.String))


def redeem_code_at_once(uow: UnitOfWork, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The code, claimed with its grant and refresh token added, in one statement (PostgreSQL,
    committed on its own); None if any check failed (then nothing was written)."""
    with each_statement_commits(uow):
        row = uow.execute(_REDEEM_CODE, dict(params)).mappings().first()
    uow.commit()
    return dict(row) if row else None
