"""Revoked access tokens (identity.tokens_revoked), kept until they expire.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from shared.migrations import create_revocations, drop_revocations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_revocations()


def downgrade() -> None:
    drop_revocations()
