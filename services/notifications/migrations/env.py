"""Alembic environment of the notifications service's database."""

import services.notifications.mail.storage.tables
import services.notifications.webhooks.storage.tables  # noqa: F401 - their tables, on the metadata
from services.notifications.storage.tables import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
