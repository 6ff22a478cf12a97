"""Tables of the petitions service's database (migrations in ./migrations).

NOTE: counts are sharded. Each signature adds 1 to one of ``COUNT_SHARDS`` rows of its petition,
picked at random, so a popular petition has no single row that every signature locks (a single
counter row is what brought the UK e-petitions site down; docs/capacity.md). The count is the
sum of the shards.
"""

from __future__ import annotations

import sqlalchemy as sa

from shared.consumers import dead_letters_table
from shared.inbox import inbox_table
from shared.outbox import BIGINT, outbox_table
from shared.revocation import revocations_table

COUNT_SHARDS = 16

metadata = sa.MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

petitions = sa.Table(
    "petitions",
    metadata,
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
    sa.Column("sponsor_token", sa.String(64), nullable=True),
    sa.Column("author_key_hash", sa.String(64), nullable=True),
    sa.Index("ix_petitions_status_created", "status", "created_at"),
)

signatures = sa.Table(
    "signatures",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), nullable=False),
    # The citizen's pairwise subject for the petitions service: one signature per citizen.
    sa.Column("citizen_sub", sa.String(100), nullable=False),
    sa.Column("departement", sa.String(3), nullable=True),
    sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    # N = HMAC(k_P, signer) (hex): one per person and petition, whatever their subject (after an
    # erasure, or a new petitions URL); null for signatures made before the log, until backfilled.
    sa.Column("nullifier", sa.String(64), nullable=True),
    # C = SHA-256("hub/v1/sig" P s) (hex), the signature's receipt in the log; s is never kept.
    sa.Column("commitment", sa.String(64), nullable=True),
    sa.UniqueConstraint("petition_id", "citizen_sub", name="uq_signatures_one_per_citizen"),
    sa.Index("uq_signatures_one_per_nullifier", "petition_id", "nullifier", unique=True),
)

# k_P: the key of each petition's nullifiers, made at publication, deleted by retention (then
# the nullifiers in the log no longer lead back to anyone).
petition_keys = sa.Table(
    "petition_keys",
    metadata,
    sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), primary_key=True),
    sa.Column("key", sa.LargeBinary(32), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Co-sponsors of a petition before its moderation: one per citizen (pairwise subject), no more.
sponsors = sa.Table(
    "petition_sponsors",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), nullable=False),
    sa.Column("citizen_sub", sa.String(100), nullable=False),
    sa.Column("sponsored_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("petition_id", "citizen_sub", name="uq_sponsors_one_per_citizen"),
)

# Petitions whose signers and co-sponsors were anonymised by retention (done once each).
retired = sa.Table(
    "petition_retention",
    metadata,
    sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), primary_key=True),
    sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
)

# Per (petition, département, shard); département "" when the citizen declared none.
count_shards = sa.Table(
    "petition_count_shards",
    metadata,
    sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), primary_key=True),
    sa.Column("departement", sa.String(3), primary_key=True),
    sa.Column("shard", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("count", BIGINT, nullable=False, default=0),
)

# The last count announced in a petition.signature_count_changed event.
count_announcements = sa.Table(
    "petition_count_announcements",
    metadata,
    sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), primary_key=True),
    sa.Column("announced_count", BIGINT, nullable=False, default=0),
    sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
)

# Each configured threshold a petition reached: its primary key makes the event exactly-once.
thresholds_reached = sa.Table(
    "petition_thresholds_reached",
    metadata,
    sa.Column("petition_id", sa.String(36), sa.ForeignKey("petitions.id"), primary_key=True),
    sa.Column("threshold", BIGINT, primary_key=True, autoincrement=False),
    sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
)

# Access tokens identity revoked, until they expire (shared.revocation).
revocations = revocations_table(metadata)

# Events this service could not handle, kept for an operator (shared.consumers).
dead_letters = dead_letters_table(metadata)
