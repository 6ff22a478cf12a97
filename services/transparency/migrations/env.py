"""Alembic environment of the transparency service's database."""

from services.transparency.storage.tables import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
