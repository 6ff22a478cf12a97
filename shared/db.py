"""Databases: one engine per service container, one session per worker, commits inside entrypoints.

NOTE: nameko sends an RPC reply or acks an event *before* ``worker_result`` runs, so nothing here
commits there: entrypoints commit through their :class:`UnitOfWork`, and ``worker_teardown`` only
closes (and so rolls back) whatever a failed worker left open.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from shared.envelope import Envelope
from shared.events import Event
from shared.logs import get_correlation_id
from shared.outbox import outbox_insert

log = logging.getLogger(__name__)

IDLE_PING_SECONDS = 5.0
# Per service process; PostgreSQL's max_connections (100 by default) is shared by every process.
POOL_SIZE, POOL_OVERFLOW = 15, 5


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the URL's backend: cooperative psycopg2, or SQLite in WAL mode."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    if url.startswith("postgresql"):
        _require_cooperative_psycopg2()
        # NOTE: a connection opened beyond pool_size is closed again on checkin, and opening one
        # costs both sides milliseconds (a PostgreSQL backend is a process): under a burst of
        # events the overflow churned connections. Most of a service's connections stay pooled.
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    engine = sa.create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine, IDLE_PING_SECONDS)
    return engine


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection at checkout only if it sat idle for ``idle_seconds``.

    ``pool_pre_ping`` pings at every checkout: a round trip per transaction, a fifth of a
    signature batch's. A connection used a moment ago is alive unless the server went away just
    now, and then the statement fails as a transient error (503) and SQLAlchemy invalidates the
    pool; one that sat idle (a restart, a proxy's idle timeout) is checked before use, and replaced.
    """

    @sa.event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("checked_in_at")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
        except Exception as exc:  # noqa: BLE001 - whatever broke it, the pool retries another
            raise sa.exc.DisconnectionError(str(exc)) from exc


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def _require_cooperative_psycopg2() -> None:
    """psycopg2 blocks every green thread unless eventlet installed its wait callback."""
    import eventlet.patcher
    import psycopg2.extensions

    if (
        eventlet.patcher.is_monkey_patched("socket")
        and psycopg2.extensions.get_wait_callback() is None
    ):
        from eventlet.support import psycopg2_patcher

        psycopg2_patcher.make_psycopg_green()
    if eventlet.patcher.is_monkey_patched("socket"):
        assert psycopg2.extensions.get_wait_callback() is not None, "psycopg2 is not cooperative"


class UnitOfWork:
    """One transaction: the aggregates' changes and the events they cause are committed together.

    Events go to the service's outbox table in the same transaction (no dual writes); the relay
    publishes them afterwards. ``after_commit`` wakes the relay so events leave at once.

    Given an engine, statements run on a SQLAlchemy Core connection, taken from the pool at the
    first statement and given back when the transaction ends (commit, rollback, close), as an ORM
    ``Session`` does. The hub uses no ORM feature, and a ``Session`` costs more CPU per
    transaction (docs/capacity.md). A ``Session`` (or a factory of one) is still
    accepted, for the command line and the tests.
    """

    def __init__(
        self,
        bind: Engine | Session | Callable[[], Session],
        source: str,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self._engine = bind if isinstance(bind, Engine) else None
        # A factory makes the session on first use: most HTTP workers of a service never touch
        # the database (signing goes through the group commit), and a Session is not free.
        self._session = bind if isinstance(bind, Session) else None
        self._make_session: Callable[[], Session] | None = (
            None if isinstance(bind, Engine | Session) else bind
        )
        self._connection: Connection | None = None
        self.source = source
        self._after_commit = after_commit
        self._events: list[Envelope] = []

    def emit(
        self, event: Event | str, payload: dict[str, Any] | None = None, version: int = 1
    ) -> Envelope:
        """Record ``event`` for the outbox, written with the transaction's commit.

        NOTE: a type string and a payload are still taken while the services move to their
        ``events.py`` classes."""
        if isinstance(event, Event):
            event_type, payload, version = event.TYPE, event.payload(), event.VERSION
        else:
            event_type = event
        envelope = Envelope(
            type=event_type,
            payload=payload or {},
            source=self.source,
            version=version,
            correlation_id=get_correlation_id(),
        )
        self._events.append(envelope)
        return envelope

    def commit(self) -> None:
        had_events = bool(self._events)
        if self._events:
            self.execute(outbox_insert(), [outbox_row(e) for e in self._events])
            self._events = []
        if self._engine is None:
            self.session.commit()
        elif self._connection is not None:
            try:
                self._connection.commit()
            finally:
                self._release()
        if had_events and self._after_commit:
            self._after_commit()

    def rollback(self) -> None:
        self._events = []
        if self._engine is None:
            self.session.rollback()
        elif self._connection is not None:
            try:
                self._connection.rollback()
            finally:
                self._release()

    def execute(self, statement: Any, params: Any = None) -> Any:
        return self.connection.execute(statement, params)

    def insert_unless_exists(self, table: sa.Table, values: dict[str, Any]) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING; True if the row was inserted.

        NOTE: no exception and no savepoint on a duplicate: the transaction stays usable, and a
        concurrent insert of the same key waits for the other to commit, then inserts nothing.
        """
        return self.insert_many_unless_exist(table, [values]) == 1

    def insert_many_unless_exist(self, table: sa.Table, rows: list[dict[str, Any]]) -> int:
        """One multi-row INSERT ... ON CONFLICT DO NOTHING; how many rows were inserted."""
        return len(self.inserted_unless_exist(table, rows))

    def inserted_unless_exist(
        self, table: sa.Table, rows: list[dict[str, Any]], returning: str | None = None
    ) -> list[Any]:
        """One multi-row INSERT ... ON CONFLICT DO NOTHING; the ``returning`` column (the first
        primary-key column if not named) of each row it inserted."""
        if not rows:
            return []
        key = table.c[returning] if returning else next(iter(table.primary_key.columns))
        statement = self._cached_insert_unless_exist(table, rows, key.name)
        if statement is not None:
            columns = list(rows[0])
            params = {f"p{i}": [row[c] for row in rows] for i, c in enumerate(columns)}
            return list(self.execute(statement, params).scalars())
        # NOTE: sent as multi-row VALUES because of RETURNING ("insertmanyvalues").
        statement = self.insert(table).on_conflict_do_nothing().returning(key)
        return list(self.execute(statement, rows).scalars())

    def _cached_insert_unless_exist(
        self, table: sa.Table, rows: list[dict[str, Any]], returning: str
    ) -> Any:
        """On PostgreSQL, a text statement made once per table and column set, or None.

        NOTE: SQLAlchemy does not cache PostgreSQL's ON CONFLICT statements (its ``Insert`` has
        ``inherit_cache = False``), so ``insert().on_conflict_do_nothing()`` was compiled anew at
        every call, and every consumer calls it once per event (the inbox). Rows travel as one
        typed array per column (``unnest``), so one statement serves any number of rows. Rows
        that leave out a column with a Python-side default keep the compiled path, which
        applies it.
        """
        if self.dialect != "postgresql":
            return None
        columns = tuple(rows[0])
        if any(tuple(row) != columns for row in rows):
            return None
        given = set(columns)
        if any(c.default is not None for c in table.columns if c.name not in given):
            return None
        cache_key = (table.fullname, columns, returning)
        statement = _UNLESS_EXIST_STATEMENTS.get(cache_key)
        if statement is None:
            statement = _insert_unless_exist_text(table, columns, returning)
            _UNLESS_EXIST_STATEMENTS[cache_key] = statement
        return statement

    @property
    def dialect(self) -> str:
        """``postgresql`` or ``sqlite``: for the few hot statements written per backend."""
        if self._engine is not None:
            return str(self._engine.dialect.name)
        return str(self.session.get_bind().dialect.name)

    def insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite)."""
        from sqlalchemy.dialects import postgresql, sqlite

        dialect = self.dialect
        inserts: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
        if dialect not in inserts:  # pragma: no cover - the hub runs on PostgreSQL or SQLite
            raise NotImplementedError(dialect)
        return inserts[dialect](table)

    @property
    def connection(self) -> Connection:
        """The transaction's connection (begun, if it was not, by its first statement)."""
        if self._engine is None:
            return self.session.connection()
        if self._connection is None:
            self._connection = self._engine.connect()
        return self._connection

    @property
    def session(self) -> Session:
        if self._engine is not None:
            raise TypeError("this unit of work runs on a Core connection, not a Session")
        if self._session is None:
            assert self._make_session is not None
            self._session = self._make_session()
        return self._session

    def _release(self) -> None:
        """The connection back to the pool (which rolls back whatever was left open)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def close(self) -> None:
        self._events = []
        self._release()
        if self._session is not None:
            self._session.close()


_UNLESS_EXIST_STATEMENTS: dict[tuple[str, tuple[str, ...], str], Any] = {}


def _insert_unless_exist_text(table: sa.Table, columns: tuple[str, ...], returning: str) -> Any:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    quote = dialect.identifier_preparer.quote
    targets = [table.c[name] for name in columns]
    arrays = ", ".join(
        f"CAST(:p{i} AS {c.type.compile(dialect=dialect)}[])" for i, c in enumerate(targets)
    )
    names = ", ".join(quote(c.name) for c in targets)
    sql = (
        # NOTE: identifiers come from the schema (quoted), values travel as parameters.
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING RETURNING {quote(returning)}"
    )
    # Typed array parameters: SQLAlchemy's bind processing (JSON, for one) applies per element.
    binds = [sa.bindparam(f"p{i}", type_=postgresql.ARRAY(c.type)) for i, c in enumerate(targets)]
    return sa.text(sql).bindparams(*binds)


def outbox_row(envelope: Envelope) -> dict[str, Any]:
    return {
        "event_id": envelope.id,
        "event_type": envelope.type,
        "envelope": envelope.to_dict(),
    }
