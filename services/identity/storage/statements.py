"""Statements that need no transaction around them, sent without one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shared.db import UnitOfWork


@contextmanager
def each_statement_commits(uow: UnitOfWork) -> Iterator[None]:
    """Inside, every statement commits on its own (PostgreSQL: psycopg2 in autocommit).

    For steps whose statements are each atomic by themselves and need not commit together (a
    lookup, one insert, a ``DELETE ... RETURNING``): psycopg2 opens a transaction with a BEGIN
    round trip of its own, and ends it with a COMMIT, which the login path paid for in every
    step. Elsewhere (SQLite), or when the unit of work has already begun a transaction, the
    statements run in the unit of work's transaction as before; ``uow.commit()`` ends them.

    NOTE: set on the DB-API connection, not with SQLAlchemy's ``isolation_level`` option, which
    costs a ``SET default_transaction_isolation`` round trip when the pool takes it back.
    """
    connection = uow.connection
    dbapi = connection.connection.dbapi_connection
    if connection.dialect.name != "postgresql" or dbapi is None or _in_transaction(dbapi):
        yield
        return
    dbapi.autocommit = True
    try:
        yield
    finally:
        if not dbapi.closed:
            dbapi.autocommit = False


def _in_transaction(dbapi: object) -> bool:
    from psycopg2.extensions import TRANSACTION_STATUS_IDLE

    return bool(dbapi.info.transaction_status != TRANSACTION_STATUS_IDLE)  # type: ignore[attr-defined]
