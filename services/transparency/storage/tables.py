"""Tables of the transparency service's database (migrations in ./migrations).

The log itself is ``log_entries`` (the leaves, by index) and ``log_hashes`` (the stored hashes of
the tree, in the Go sumdb/tlog layout: ``2n - popcount(n)`` hashes for ``n`` leaves, from which
every tile, root and proof is read). Both only ever grow, in the integrator's transaction, together
with ``log_state``. ``pending_leaves`` holds what petitions sent and the integrator has not yet
placed; ``log_signs`` and ``log_petitions`` are what the holds and the helper API need, kept
incrementally in the same transaction as the entries.
"""

from __future__ import annotations

import sqlalchemy as sa

from shared.consumers import dead_letters_table
from shared.inbox import inbox_table
from shared.outbox import BIGINT, outbox_table

metadata = sa.MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
dead_letters = dead_letters_table(metadata)

MAX_LINE = 256  # a leaf line's bytes (reference §4.3)

pending_leaves = sa.Table(
    "pending_leaves",
    metadata,
    sa.Column("seq", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("petition_id", sa.String(36), nullable=False),
    sa.Column("line", sa.String(MAX_LINE), nullable=True),  # NULL for a withdraw (rendered later)
    sa.Column("commitment", sa.String(64), nullable=True),
    sa.Column("secret", sa.String(64), nullable=True),
    sa.Column("count", sa.BigInteger, nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("event_id", "position", name="uq_pending_leaves_event_position"),
)

log_entries = sa.Table(
    "log_entries",
    metadata,
    sa.Column("idx", BIGINT, primary_key=True, autoincrement=False),
    sa.Column("petition_id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("line", sa.String(MAX_LINE), nullable=False),
    sa.Index("ix_log_entries_petition", "petition_id", "idx"),
)

log_hashes = sa.Table(
    "log_hashes",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
)

# One row a sign leaf: its commitment (receipts, withdrawals) and, once withdrawn, the index of
# the withdraw leaf that deactivated it.
log_signs = sa.Table(
    "log_signs",
    metadata,
    sa.Column("idx", BIGINT, primary_key=True, autoincrement=False),
    sa.Column("commitment", sa.String(64), nullable=False),
    sa.Column("petition_id", sa.String(36), nullable=False),
    sa.Column("withdrawn_by", BIGINT, nullable=True),
    sa.Index("ix_log_signs_commitment", "commitment", "idx"),
)

# A petition's window and running count over the integrated log (not only the published part).
log_petitions = sa.Table(
    "log_petitions",
    metadata,
    sa.Column("petition_id", sa.String(36), primary_key=True),
    sa.Column("open_index", BIGINT, nullable=True),
    sa.Column("close_index", BIGINT, nullable=True),
    sa.Column("erase_index", BIGINT, nullable=True),
    sa.Column("count", sa.BigInteger, nullable=False),
)

# One row (id 1): the integrated tree, the last checkpoint signed (never one inconsistent with
# it), and the last published (cosigned by the quorum).
log_state = sa.Table(
    "log_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("size", BIGINT, nullable=False),
    sa.Column("root", sa.LargeBinary(32), nullable=False),
    sa.Column("signed_size", BIGINT, nullable=True),
    sa.Column("signed_root", sa.LargeBinary(32), nullable=True),
    sa.Column("published_size", BIGINT, nullable=True),
    sa.Column("published_note", sa.Text, nullable=True),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
)

# Every published checkpoint, by size (the first cosigned note of that size).
checkpoints = sa.Table(
    "checkpoints",
    metadata,
    sa.Column("size", BIGINT, primary_key=True, autoincrement=False),
    sa.Column("root", sa.LargeBinary(32), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
)

# The tree size each witness (by its configured name) last cosigned: after a restart the log
# asks it from there at once, rather than from 0 and a 409.
witness_sizes = sa.Table(
    "witness_sizes",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("size", BIGINT, nullable=False),
)
