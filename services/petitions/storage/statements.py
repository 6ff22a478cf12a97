"""The statements of the signing path, built once: each is compiled once, then cached."""

from __future__ import annotations

import sqlalchemy as sa

from services.petitions.storage.tables import petitions

# Built once: every signature batch reads its petitions.
PETITIONS_BY_ID = sa.select(petitions).where(
    petitions.c.id.in_(sa.bindparam("ids", expanding=True))
)

# Signatures in (petition, citizen) order, their counts per (petition, département) added to one
# random shard each, in key order (see PetitionRepository.add_signatures); the ids inserted come
# back.
SIGN_AND_COUNT = sa.text(
    """
    WITH added AS (
        INSERT INTO signatures (id, petition_id, citizen_sub, departement, signed_at)
        SELECT id, petition_id, citizen_sub, departement, :signed_at
        FROM unnest(
            CAST(:ids AS varchar[]), CAST(:petition_ids AS varchar[]),
            CAST(:subs AS varchar[]), CAST(:departements AS varchar[])
        ) AS input (id, petition_id, citizen_sub, departement)
        ORDER BY petition_id, citizen_sub
        ON CONFLICT DO NOTHING
        RETURNING id, petition_id, departement
    ), counted AS (
        INSERT INTO petition_count_shards AS shards (petition_id, departement, shard, count)
        SELECT petition_id, COALESCE(departement, :undeclared),
               CAST(floor(random() * :shards) AS smallint), count(*)
        FROM added
        GROUP BY petition_id, COALESCE(departement, :undeclared)
        ORDER BY 1, 2
        ON CONFLICT (petition_id, departement, shard)
        DO UPDATE SET count = shards.count + EXCLUDED.count
    )
    SELECT id FROM added
    """
)
