"""Alembic, one migration history per service, each in ``services/<service>/migrations``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from shared.db import make_engine

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


def alembic_config(service: str, database_url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            cfg = alembic_config(service, database_url)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def run_migrations(target_metadata: object) -> None:
    """The body of every service's ``migrations/env.py``."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as connection:
            _run(context, connection, target_metadata)
        engine.dispose()
    else:
        _run(context, connection, target_metadata)


def _run(context: object, connection: object, target_metadata: object) -> None:
    context.configure(  # type: ignore[attr-defined]
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
        compare_type=True,
    )
    with context.begin_transaction():  # type: ignore[attr-defined]
        context.run_migrations()  # type: ignore[attr-defined]


def create_outbox_and_inbox() -> None:
    """The first migration of every service: its outbox and its inbox (see shared.outbox/inbox)."""
    import sqlalchemy as sa
    from alembic import op

    from shared.outbox import BIGINT

    op.create_table(
        "outbox",
        sa.Column("seq", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("envelope", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["seq"],
        postgresql_where=sa.text("sent_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def drop_outbox_and_inbox() -> None:
    from alembic import op

    op.drop_table("inbox")
    op.drop_index("ix_outbox_unsent", table_name="outbox")
    op.drop_table("outbox")


def create_dead_letters() -> None:
    """Events a consumer could not handle, kept for an operator (see shared.consumers)."""
    import sqlalchemy as sa
    from alembic import op

    from shared.outbox import BIGINT

    op.create_table(
        "dead_letters",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("routing_key", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def create_revocations() -> None:
    """The revoked access tokens a resource service keeps (see shared.revocation)."""
    import sqlalchemy as sa
    from alembic import op

    from shared.outbox import BIGINT

    op.create_table(
        "revocations",
        sa.Column("seq", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("issued_before", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("kind", "value", "issued_before", name="uq_revocations_entry"),
    )
    op.create_index("ix_revocations_expires_at", "revocations", ["expires_at"])


def drop_revocations() -> None:
    from alembic import op

    op.drop_index("ix_revocations_expires_at", table_name="revocations")
    op.drop_table("revocations")
