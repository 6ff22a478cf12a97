"""Tables of the notifications service's database (migrations in ./migrations)."""

import sqlalchemy as sa

from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = sa.MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
