"""The OpenID Provider: signing keys, clients, citizens, pending logins, codes, grants.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False, unique=True),
        sa.Column("alg", sa.String(10), nullable=False),
        sa.Column("private_pem", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("secret_hash", sa.String(64), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("redirect_uris", sa.JSON, nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "citizens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "pending_logins",
        sa.Column("state", sa.String(64), primary_key=True),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("upstream_nonce", sa.String(64), nullable=False),
        sa.Column("upstream_verifier", sa.String(128), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("client_state", sa.Text, nullable=True),
        sa.Column("client_nonce", sa.Text, nullable=True),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("code_challenge", sa.String(64), nullable=True),
        sa.Column("acr", sa.String(16), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_pending_logins_expires_at", "pending_logins", ["expires_at"])
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("citizen_id", sa.String(32), nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("nonce", sa.Text, nullable=True),
        sa.Column("acr", sa.String(16), nullable=False),
        sa.Column("adult", sa.Boolean, nullable=False),
        sa.Column("claims", sa.JSON, nullable=False),
        sa.Column("code_challenge", sa.String(64), nullable=True),
        sa.Column("auth_time", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_authorization_codes_expires_at", "authorization_codes", ["expires_at"])
    op.create_table(
        "grants",
        sa.Column("jti", sa.String(64), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("citizen_id", sa.String(32), nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("claims", sa.JSON, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_grants_code_hash", "grants", ["code_hash"])
    op.create_index("ix_grants_expires_at", "grants", ["expires_at"])


def downgrade() -> None:
    for index, table in (
        ("ix_grants_expires_at", "grants"),
        ("ix_grants_code_hash", "grants"),
        ("ix_authorization_codes_expires_at", "authorization_codes"),
        ("ix_pending_logins_expires_at", "pending_logins"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "grants",
        "authorization_codes",
        "pending_logins",
        "citizens",
        "clients",
        "signing_keys",
    ):
        op.drop_table(table)
