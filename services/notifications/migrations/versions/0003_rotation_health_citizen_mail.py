"""Secret rotation, pause, throttling and failure tracking, rate limits; citizen e-mail.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from shared.outbox import BIGINT

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
NEW_SUBSCRIPTION_COLUMNS = (
    ("previous_secret", sa.String(100)),
    ("previous_secret_expires_at", TZ),
    ("rate_limit", sa.Integer()),
    ("failing_since", TZ),
    ("throttled_until", TZ),
)


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        for name, type_ in NEW_SUBSCRIPTION_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    op.create_index("ix_messages_subject", "messages", ["subject"])
    _create_citizen_mail_tables()


def _create_citizen_mail_tables() -> None:
    op.create_table(
        "signature_receipts",
        sa.Column("signature_id", sa.String(36), primary_key=True),
        sa.Column("petition_id", sa.String(100), nullable=False),
        sa.Column("signed_at", sa.String(40), nullable=True),
        sa.Column("hash", sa.String(64), nullable=True),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("email_requested_at", TZ, nullable=True),
        sa.Column("withdrawn_at", TZ, nullable=True),
    )
    op.create_index("ix_signature_receipts_petition_id", "signature_receipts", ["petition_id"])
    op.create_table(
        "petition_outcomes",
        sa.Column("petition_id", sa.String(100), primary_key=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("signature_count", sa.Integer, nullable=True),
        sa.Column("recorded_at", TZ, nullable=False),
    )
    op.create_table(
        "outcome_subscribers",
        sa.Column("signature_id", sa.String(36), primary_key=True),
        sa.Column("petition_id", sa.String(100), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("locale", sa.String(5), nullable=False),
        sa.Column("unsubscribe_token", sa.String(64), nullable=False, unique=True),
        sa.Column("consented_at", TZ, nullable=False),
    )
    op.create_index("ix_outcome_subscribers_petition_id", "outcome_subscribers", ["petition_id"])
    op.create_table(
        "mail_outbox",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("attempt_count", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_mail_outbox_due", table_name="mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_index("ix_outcome_subscribers_petition_id", table_name="outcome_subscribers")
    op.drop_table("outcome_subscribers")
    op.drop_table("petition_outcomes")
    op.drop_index("ix_signature_receipts_petition_id", table_name="signature_receipts")
    op.drop_table("signature_receipts")
    op.drop_index("ix_messages_subject", table_name="messages")
    with op.batch_alter_table("subscriptions") as batch:
        for name, _type in reversed(NEW_SUBSCRIPTION_COLUMNS):
            batch.drop_column(name)
