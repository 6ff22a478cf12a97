"""The outbox and the inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from shared.migrations import create_outbox_and_inbox, drop_outbox_and_inbox

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_and_inbox()


def downgrade() -> None:
    drop_outbox_and_inbox()
