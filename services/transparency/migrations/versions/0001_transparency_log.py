"""The transparency log: outbox, inbox, dead letters, pending leaves, entries, stored hashes,
signs, petitions' windows, the log's state and the archive of published checkpoints.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import hashlib

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_dead_letters, create_outbox_and_inbox, drop_outbox_and_inbox
from shared.outbox import BIGINT

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_and_inbox()
    create_dead_letters()
    op.create_table(
        "pending_leaves",
        sa.Column("seq", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("petition_id", sa.String(36), nullable=False),
        sa.Column("line", sa.String(256), nullable=True),
        sa.Column("commitment", sa.String(64), nullable=True),
        sa.Column("secret", sa.String(64), nullable=True),
        sa.Column("count", sa.BigInteger, nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("event_id", "position", name="uq_pending_leaves_event_position"),
    )
    op.create_table(
        "log_entries",
        sa.Column("idx", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("petition_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("line", sa.String(256), nullable=False),
    )
    op.create_index("ix_log_entries_petition", "log_entries", ["petition_id", "idx"])
    op.create_table(
        "log_hashes",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "log_signs",
        sa.Column("idx", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("commitment", sa.String(64), nullable=False),
        sa.Column("petition_id", sa.String(36), nullable=False),
        sa.Column("withdrawn_by", BIGINT, nullable=True),
    )
    op.create_index("ix_log_signs_commitment", "log_signs", ["commitment", "idx"])
    op.create_table(
        "log_petitions",
        sa.Column("petition_id", sa.String(36), primary_key=True),
        sa.Column("open_index", BIGINT, nullable=True),
        sa.Column("close_index", BIGINT, nullable=True),
        sa.Column("erase_index", BIGINT, nullable=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
    state = op.create_table(
        "log_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", BIGINT, nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("signed_size", BIGINT, nullable=True),
        sa.Column("signed_root", sa.LargeBinary(32), nullable=True),
        sa.Column("published_size", BIGINT, nullable=True),
        sa.Column("published_note", sa.Text, nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    # The empty tree: its root is SHA-256 of nothing (RFC 9162 §2.1.1).
    op.bulk_insert(state, [{"id": 1, "size": 0, "root": hashlib.sha256(b"").digest()}])
    op.create_table(
        "checkpoints",
        sa.Column("size", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("checkpoints", "log_state", "log_petitions"):
        op.drop_table(table)
    op.drop_index("ix_log_signs_commitment", table_name="log_signs")
    op.drop_table("log_signs")
    op.drop_table("log_hashes")
    op.drop_index("ix_log_entries_petition", table_name="log_entries")
    op.drop_table("log_entries")
    op.drop_table("pending_leaves")
    op.drop_table("dead_letters")
    drop_outbox_and_inbox()
