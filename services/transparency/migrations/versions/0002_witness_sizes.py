"""The size each witness last cosigned, kept across restarts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-15
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
        "witness_sizes",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("size", BIGINT, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("witness_sizes")
