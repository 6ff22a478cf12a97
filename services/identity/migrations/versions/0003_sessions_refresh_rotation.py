"""Sessions and logout, refresh tokens, key rotation (activation and retirement times).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signing_keys") as batch:
        batch.add_column(sa.Column("activates_at", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("retires_at", sa.BigInteger, nullable=True))
    with op.batch_alter_table("authorization_codes") as batch:
        batch.add_column(sa.Column("sid", sa.String(64), nullable=True))
    with op.batch_alter_table("grants") as batch:
        batch.add_column(sa.Column("sid", sa.String(64), nullable=True))
    op.create_index("ix_grants_sid", "grants", ["sid"])
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("family", sa.String(64), nullable=False),
        sa.Column("sid", sa.String(64), nullable=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("citizen_id", sa.String(32), nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("claims", sa.JSON, nullable=False),
        sa.Column("acr", sa.String(16), nullable=False),
        sa.Column("adult", sa.Boolean, nullable=False),
        sa.Column("auth_time", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger, nullable=True),
    )
    for column in ("family", "sid", "citizen_id", "expires_at"):
        op.create_index(f"ix_refresh_tokens_{column}", "refresh_tokens", [column])
    op.create_table(
        "sessions",
        sa.Column("sid", sa.String(64), primary_key=True),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("citizen_id", sa.String(32), nullable=False),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("upstream_id_token", sa.Text, nullable=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_sessions_citizen_id", "sessions", ["citizen_id"])
    op.create_index("ix_sessions_expires_at", "sessions", ["expires_at"])
    op.create_table(
        "pending_logouts",
        sa.Column("state", sa.String(64), primary_key=True),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("target", sa.Text, nullable=True),
        sa.Column("client_state", sa.Text, nullable=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_pending_logouts_expires_at", "pending_logouts", ["expires_at"])


def downgrade() -> None:
    op.drop_table("pending_logouts")
    op.drop_table("sessions")
    op.drop_table("refresh_tokens")
    op.drop_index("ix_grants_sid", table_name="grants")
    with op.batch_alter_table("grants") as batch:
        batch.drop_column("sid")
    with op.batch_alter_table("authorization_codes") as batch:
        batch.drop_column("sid")
    with op.batch_alter_table("signing_keys") as batch:
        batch.drop_column("retires_at")
        batch.drop_column("activates_at")
