"""Petition authors' e-mail: author-key hashes and the one address per petition.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "petition_authors",
        sa.Column("petition_id", sa.String(100), primary_key=True),
        sa.Column("author_key_hash", sa.String(64), nullable=True),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("ended_as", sa.String(20), nullable=True),
        sa.Column("ended_at", TZ, nullable=True),
    )
    op.create_table(
        "author_subscribers",
        sa.Column("petition_id", sa.String(100), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("locale", sa.String(5), nullable=False),
        sa.Column("unsubscribe_token", sa.String(64), nullable=False, unique=True),
        sa.Column("consented_at", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("author_subscribers")
    op.drop_table("petition_authors")
