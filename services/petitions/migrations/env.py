"""Alembic environment of the petitions service's database."""

from services.petitions.storage.tables import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
