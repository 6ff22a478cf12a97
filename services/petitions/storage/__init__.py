"""The petitions database: ``tables.py`` (its tables; migrations in ../migrations),
``repository.py`` (petitions, co-sponsors, signatures and counts), ``statements.py`` (the signing
path's statements), ``queries.py`` (what the pages read of a citizen's own), ``upkeep.py`` (the
SQL of the recount and of retention)."""
