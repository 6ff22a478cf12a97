"""The transparency log: a key per petition (destroyed by retention), each signature's
nullifier (one per person and petition) and commitment (its receipt).

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-12
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "petition_keys",
        sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), primary_key=True),
        sa.Column("key", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # NOTE: nullable: signatures made before the log have neither until their petition's lazy
    # `open` gives them one (handlers/ledger.py).
    op.add_column("signatures", sa.Column("nullifier", sa.String(64), nullable=True))
    op.add_column("signatures", sa.Column("commitment", sa.String(64), nullable=True))
    op.create_index(
        "uq_signatures_one_per_nullifier", "signatures", ["petition_id", "nullifier"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_signatures_one_per_nullifier", "signatures")
    with op.batch_alter_table("signatures") as batch:  # batch: SQLite cannot drop columns in place
        batch.drop_column("commitment")
        batch.drop_column("nullifier")
    op.drop_table("petition_keys")
