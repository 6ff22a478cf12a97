"""The tables both sub-domains share, on the service's one metadata:

- ``outbox``, ``inbox``: events we publish, and bus messages already applied (per consumer);
- ``dead_letters``: bus messages we could not handle, kept for operators;
- ``revocations``: access tokens identity revoked, until they expire (shared.revocation);
- ``messages``: each public petition event received once (its id is the ``webhook-id`` agencies
  see); the webhooks deliver them, citizens' and authors' e-mail read petitions' titles there.
"""

from __future__ import annotations

import sqlalchemy as sa

from shared.consumers import dead_letters_table
from shared.inbox import inbox_table
from shared.outbox import outbox_table
from shared.revocation import revocations_table

metadata = sa.MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
revocations = revocations_table(metadata)  # access tokens identity revoked (shared.revocation)
dead_letters = dead_letters_table(metadata)

TZ = sa.DateTime(timezone=True)

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
