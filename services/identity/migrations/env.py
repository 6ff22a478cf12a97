"""Alembic environment of the identity service's database."""

from services.identity.storage import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
