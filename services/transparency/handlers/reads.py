"""Reading the published log: the checkpoint, tiles and entry bundles, and the helper API whose
every answer can be checked against the tiles. Only what the latest published checkpoint covers
is served: a tile beyond it is not there yet (404)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from hub_verify import merkle, tiles
from hub_verify.proof import TlogProof, format_proof
from hub_verify.tiles import TILE_WIDTH, Tile

from services.transparency.domain import NotFound, NotYet
from services.transparency.handlers.integration import hash_reader
from services.transparency.storage import log
from shared.db import UnitOfWork


@dataclass(frozen=True)
class Published:
    size: int
    note: str


def published(uow: UnitOfWork) -> Published:
    current = log.state(uow)
    if current.published_size is None or current.published_note is None:
        raise NotYet("the log has published no checkpoint yet")
    return Published(current.published_size, current.published_note)


def checkpoint(uow: UnitOfWork) -> str:
    return published(uow).note


def tile(uow: UnitOfWork, wanted: Tile) -> bytes:
    """A hash tile or an entry bundle, if the latest published checkpoint covers it."""
    size = published(uow).size
    level = wanted.level
    available = size if level < 0 else size >> (8 * level)
    if wanted.index * TILE_WIDTH + wanted.width > available:
        raise NotFound("the published log has no such tile yet")
    if level < 0:
        start = wanted.index * TILE_WIDTH
        lines = log.entry_lines(uow, start, start + wanted.width)
        return tiles.encode_bundle([line.encode("ascii") for line in lines])
    return tiles.tile_data(wanted, hash_reader(uow))


def petition(uow: UnitOfWork, petition_id: str) -> dict[str, int | None]:
    """The petition's window and recount up to the published size (kept incrementally: the
    integrated figures less what the leaves beyond the published size changed)."""
    size = published(uow).size
    found = log.petition(uow, petition_id)
    if found is None or found["open_index"] is None or found["open_index"] >= size:
        raise NotFound("the published log has no petition with that id")
    count = int(found["count"]) - log.count_changes_from(uow, petition_id, size)
    close = found["close_index"]
    return {
        "open_index": int(found["open_index"]),
        "close_index": int(close) if close is not None and close < size else None,
        "count": count,
    }


def receipt(uow: UnitOfWork, commitment: str) -> bytes:
    """The tlog-proof of the latest sign leaf with ``commitment``, at the published checkpoint."""
    current = published(uow)
    index = log.latest_sign(uow, commitment, current.size)
    if index is None:
        raise NotYet("no signature with that commitment is in the published log yet")

    line = log.entry_line(uow, index)
    assert line is not None
    hashes = merkle.prove_inclusion(current.size, index, hash_reader(uow))
    proof = TlogProof(index, hashes, current.note.encode("utf-8"), line.encode("ascii"))
    return format_proof(proof)


def consistency(uow: UnitOfWork, old: int, new: int) -> str:
    """Base64 hashes, one a line, from published size ``old`` to published size ``new``."""
    known = log.published_sizes(uow, [old, new])
    missing = [size for size in (old, new) if size not in known]
    if missing:
        raise NotFound(f"no checkpoint of size {missing[0]} was published")
    proof = merkle.prove_consistency(new, old, hash_reader(uow)) if old else []
    return "".join(base64.b64encode(h).decode("ascii") + "\n" for h in proof)
