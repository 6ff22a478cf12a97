"""E-mail tables (on the service's one metadata; migrations in ../../migrations). Addresses are
kept only with their owner's consent, and no longer than needed.

Citizens:
- ``signature_receipts``: receipts announced by the petitions service (no personal data), so a
  citizen holding one can prove a signature; a withdrawn signature leaves a tombstone;
- ``petition_outcomes``: petitions already closed or withdrawn (nobody waits for their outcome);
- ``outcome_subscribers``: addresses of signers who opted in to the outcome, deleted once it is
  sent, on unsubscribe, or when the signature is withdrawn.

Petition authors (the same rules):
- ``petition_authors``: each submitted petition's author-key hash, from the petitions service
  (no personal data: it only lets the holder of the key register an address), and how the
  petition ended, if it did (an end seen before the submission leaves a tombstone);
- ``author_subscribers``: at most one address per petition, given by whoever holds the author
  key, deleted when the petition is rejected, closed, withdrawn or hidden, or on unsubscribe.

Both:
- ``mail_outbox``: rendered mails waiting for the SMTP server, deleted once sent.
"""

from __future__ import annotations

import sqlalchemy as sa

from services.notifications.storage.tables import TZ, metadata
from shared.outbox import BIGINT

signature_receipts = sa.Table(
    "signature_receipts",
    metadata,
    sa.Column("signature_id", sa.String(36), primary_key=True),
    sa.Column("petition_id", sa.String(100), nullable=False, index=True),
    sa.Column("signed_at", sa.String(40), nullable=True),
    sa.Column("hash", sa.String(64), nullable=True),
    sa.Column("recorded_at", TZ, nullable=False),
    sa.Column("email_requested_at", TZ, nullable=True),  # a receipt confirms by e-mail once
    sa.Column("withdrawn_at", TZ, nullable=True),
)

petition_outcomes = sa.Table(
    "petition_outcomes",
    metadata,
    sa.Column("petition_id", sa.String(100), primary_key=True),
    sa.Column("outcome", sa.String(20), nullable=False),  # closed | withdrawn
    sa.Column("signature_count", sa.Integer, nullable=True),
    sa.Column("recorded_at", TZ, nullable=False),
)

outcome_subscribers = sa.Table(
    "outcome_subscribers",
    metadata,
    sa.Column("signature_id", sa.String(36), primary_key=True),
    sa.Column("petition_id", sa.String(100), nullable=False, index=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("locale", sa.String(5), nullable=False),
    # NOTE: kept as is, not hashed: every later mail must carry it. Whoever reads it can only
    # unsubscribe someone.
    sa.Column("unsubscribe_token", sa.String(64), nullable=False, unique=True),
    sa.Column("consented_at", TZ, nullable=False),
)

petition_authors = sa.Table(
    "petition_authors",
    metadata,
    sa.Column("petition_id", sa.String(100), primary_key=True),
    sa.Column("author_key_hash", sa.String(64), nullable=True),  # NULL: a tombstone
    sa.Column("recorded_at", TZ, nullable=False),
    sa.Column("ended_as", sa.String(20), nullable=True),  # rejected|closed|withdrawn|hidden
    sa.Column("ended_at", TZ, nullable=True),
)

author_subscribers = sa.Table(
    "author_subscribers",
    metadata,
    sa.Column("petition_id", sa.String(100), primary_key=True),  # one address per petition
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("locale", sa.String(5), nullable=False),
    sa.Column("unsubscribe_token", sa.String(64), nullable=False, unique=True),
    sa.Column("consented_at", TZ, nullable=False),
)

mail_outbox = sa.Table(
    "mail_outbox",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("message", sa.Text, nullable=False),  # the rendered RFC 5322 message
    sa.Column("attempt_count", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", TZ, nullable=False),
    sa.Column("last_error", sa.String(200), nullable=True),
    sa.Column("created_at", TZ, nullable=False),
    sa.Index("ix_mail_outbox_due", "next_attempt_at"),
)
