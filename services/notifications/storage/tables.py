"""Tables of the notifications service's database (migrations in ./migrations).

Webhooks:
- ``subscriptions``: an agency's endpoint, its secrets (the previous one signs too for 24 h after
  a rotation), its event-type filter, its rate limit, and its health (failing since, throttled);
- ``messages``: each public event received once (its id is the ``webhook-id`` agencies see);
- ``deliveries``: one per (message, subscription), with its state and next attempt time, so a
  restart loses nothing;
- ``delivery_attempts``: the attempt log agencies read;
- ``dead_letters``: bus messages we could not handle, kept for operators;
- ``revocations``: access tokens identity revoked, until they expire (shared.revocation).

Citizen e-mail (addresses only with the citizen's consent, kept no longer than needed):
- ``signature_receipts``: receipts announced by the petitions service (no personal data), so a
  citizen holding one can prove a signature; a withdrawn signature leaves a tombstone;
- ``petition_outcomes``: petitions already closed or withdrawn (nobody waits for their outcome);
- ``outcome_subscribers``: addresses of signers who opted in to the outcome, deleted once it is
  sent, on unsubscribe, or when the signature is withdrawn;
- ``mail_outbox``: rendered mails waiting for the SMTP server, deleted once sent.

Petition authors' e-mail (the same rules):
- ``petition_authors``: each submitted petition's author-key hash, from the petitions service
  (no personal data: it only lets the holder of the key register an address), and how the
  petition ended, if it did (an end seen before the submission leaves a tombstone);
- ``author_subscribers``: at most one address per petition, given by whoever holds the author
  key, deleted when the petition is rejected, closed, withdrawn or hidden, or on unsubscribe.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from shared.consumers import dead_letters_table
from shared.inbox import inbox_table
from shared.outbox import BIGINT, outbox_table
from shared.revocation import revocations_table

metadata = sa.MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
revocations = revocations_table(metadata)  # access tokens identity revoked (shared.revocation)

TZ = sa.DateTime(timezone=True)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("agency_id", sa.String(255), nullable=False, index=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("event_types", sa.JSON, nullable=True),  # NULL: every event type
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("previous_secret", sa.String(100), nullable=True),
    sa.Column("previous_secret_expires_at", TZ, nullable=True),
    sa.Column("rate_limit", sa.Integer, nullable=True),  # deliveries per second; NULL: default
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("disabled_at", TZ, nullable=True),
    sa.Column("disabled_reason", sa.String(200), nullable=True),
    sa.Column("failing_since", TZ, nullable=True),  # first failure since the last success
    sa.Column("throttled_until", TZ, nullable=True),  # 429/502/503/504: hold every delivery
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),  # the envelope id
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("occurred_at", sa.String(40), nullable=False),  # the envelope's RFC 3339 time
    sa.Column("subject", sa.String(100), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("received_at", TZ, nullable=False),
    sa.Index("ix_messages_subject", "subject"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(36), sa.ForeignKey("messages.id"), nullable=False),
    sa.Column("subscription_id", sa.String(36), sa.ForeignKey("subscriptions.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempt_count", sa.Integer, nullable=False),  # in the current round of retries
    sa.Column("next_attempt_at", TZ, nullable=True),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("last_attempt_at", TZ, nullable=True),
    sa.UniqueConstraint("message_id", "subscription_id", name="uq_deliveries_message_subscription"),
    sa.Index("ix_deliveries_subscription", "subscription_id", "id"),
    sa.Index(
        "ix_deliveries_due",
        "next_attempt_at",
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    ),
)

delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", BIGINT, sa.ForeignKey("deliveries.id"), nullable=False, index=True),
    sa.Column("attempted_at", TZ, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(30), nullable=False),
    sa.Column("response_excerpt", sa.Text, nullable=False),
)

dead_letters = dead_letters_table(metadata)

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


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; every datetime we store is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
