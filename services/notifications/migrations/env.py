"""Alembic environment of the notifications service's database."""

from services.notifications.storage.tables import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
