"""Petitions, signatures (one per citizen), sharded counts, announcements and thresholds.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from shared.outbox import BIGINT

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "petitions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("author_sub", sa.String(100), nullable=False),
        sa.Column("min_acr", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.String(50), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_petitions_status_created", "petitions", ["status", "created_at"])
    op.create_table(
        "signatures",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), nullable=False),
        sa.Column("citizen_sub", sa.String(100), nullable=False),
        sa.Column("departement", sa.String(3), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("petition_id", "citizen_sub", name="uq_signatures_one_per_citizen"),
    )
    op.create_table(
        "petition_count_shards",
        sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), primary_key=True),
        sa.Column("departement", sa.String(3), primary_key=True),
        sa.Column("shard", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("count", BIGINT, nullable=False),
    )
    op.create_table(
        "petition_count_announcements",
        sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), primary_key=True),
        sa.Column("announced_count", BIGINT, nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "petition_thresholds_reached",
        sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), primary_key=True),
        sa.Column("threshold", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("petition_thresholds_reached")
    op.drop_table("petition_count_announcements")
    op.drop_table("petition_count_shards")
    op.drop_table("signatures")
    op.drop_index("ix_petitions_status_created", table_name="petitions")
    op.drop_table("petitions")
