"""Drafts and co-sponsors (sponsor link, author-key hash until submission), retention marks.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("petitions", sa.Column("sponsor_token", sa.String(64), nullable=True))
    op.add_column("petitions", sa.Column("author_key_hash", sa.String(64), nullable=True))
    op.create_table(
        "petition_sponsors",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), nullable=False),
        sa.Column("citizen_sub", sa.String(100), nullable=False),
        sa.Column("sponsored_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("petition_id", "citizen_sub", name="uq_sponsors_one_per_citizen"),
    )
    op.create_table(
        "petition_retention",
        sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), primary_key=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Retention starts from closed_at; rejections now set it, older ones get their creation time.
    op.execute(
        "UPDATE petitions SET closed_at = created_at"
        " WHERE status = 'rejected' AND closed_at IS NULL"
    )


def downgrade() -> None:
    op.drop_table("petition_retention")
    op.drop_table("petition_sponsors")
    with op.batch_alter_table("petitions") as batch:  # batch: SQLite cannot drop columns in place
        batch.drop_column("author_key_hash")
        batch.drop_column("sponsor_token")
