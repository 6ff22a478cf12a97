"""The statements of the signing path, built once: each is compiled once, then cached."""

from __future__ import annotations

import sqlalchemy as sa

from services.petitions.storage.tables import petition_keys, petitions

# Built once: every signature batch reads its petitions.
PETITIONS_BY_ID = sa.select(petitions).where(
    petitions.c.id.in_(sa.bindparam("ids", expanding=True))
)

# Built once: the petitions of a signature batch with their keys (None before the log); on
# PostgreSQL FOR SHARE of the petitions' rows (PetitionRepository.get_for_signing says why).
SIGNING_PETITIONS = (
    sa.select(petitions, petition_keys.c.key.label("key_"))
    .outerjoin(petition_keys, petition_keys.c.petition_id == petitions.c.id)
    .where(petitions.c.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(petitions.c.id)
)
SIGNING_PETITIONS_LOCKED = SIGNING_PETITIONS.with_for_update(read=True, of=petitions)

# Signatures in (petition, citizen) order, their counts per (petition, département) added to one
# random shard each, in key order (see PetitionRepository.add_signatures); the ids inserted come
# back.
SIGN_AND_COUNT = sa.text(
    """
    WITH added AS (
        INSERT INTO signatures
            (id, petition_id, citizen_sub, departement, signed_at, nullifier, commitment)
        SELECT id, petition_id, citizen_sub, departement, :signed_at, nullifier, commitment
        FROM unnest(
            CAST(:ids AS varchar[]), CAST(:petition_ids AS varchar[]),
            CAST(:subs AS varchar[]), CAST(:departements AS varchar[]),
            CAST(:nullifiers AS varchar[]), CAST(:commitments AS varchar[])
        ) AS input (id, petition_id, citizen_sub, departement, nullifier, commitment)
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
