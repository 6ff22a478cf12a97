"""C2SP tlog-tiles v0.1.0: tile paths, which tiles a tree has, tiles from stored hashes, entry
bundles, and a `read` that fetches tiles and checks every hash against a signed root.

A tile at level L, index N holds up to 256 consecutive hashes of tree level 8·L; a partial tile
(the right edge) holds `⌊size / 256^L⌋ mod 256` of them. Level -1 here means an entry bundle.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hub_verify.errors import MalformedError, ProofError
from hub_verify.merkle import (
    HASH_SIZE,
    HashReader,
    node_hash,
    stored_hash_count,
    stored_hash_index,
    tree_root,
)

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
ENTRIES = -1  # the level of entry bundles
MAX_ENTRY_SIZE = 0xFFFF  # entries are uint16 length-prefixed

TileFetcher = Callable[["Tile"], bytes]


@dataclass(frozen=True)
class Tile:
    level: int  # 0..63, or ENTRIES (-1) for an entry bundle
    index: int
    width: int  # 1..256; 256 = a full tile

    def __post_init__(self) -> None:
        if not ENTRIES <= self.level <= MAX_LEVEL or self.index < 0:
            raise MalformedError(f"no tile at level {self.level}, index {self.index}")
        if not 1 <= self.width <= TILE_WIDTH:
            raise MalformedError(f"tile width {self.width} is not between 1 and {TILE_WIDTH}")

    def path(self) -> str:
        """tlog-tiles: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`."""
        level = "entries" if self.level == ENTRIES else str(self.level)
        suffix = "" if self.width == TILE_WIDTH else f".p/{self.width}"
        return f"tile/{level}/{_index_path(self.index)}{suffix}"


def _index_path(n: int) -> str:
    """1234067 -> x001/x234/067: 3-digit groups, an `x` before all but the last."""
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


_TILE_PATH = re.compile(
    r"tile/(?P<level>entries|0|[1-9][0-9]?)/(?P<index>(?:x[0-9]{3}/)*[0-9]{3})"
    r"(?:\.p/(?P<width>[1-9][0-9]{0,2}))?"
)


def parse_tile_path(path: str) -> Tile:
    """The tile a path names; MalformedError for anything `Tile.path` would not write."""
    m = _TILE_PATH.fullmatch(path) if len(path) <= 200 else None
    if m is None:
        raise MalformedError(f"not a tile path: {path[:80]!r}")
    level = ENTRIES if m["level"] == "entries" else int(m["level"])
    index = int(m["index"].replace("x", "").replace("/", ""))
    width = int(m["width"]) if m["width"] else TILE_WIDTH
    if m["width"] and width >= TILE_WIDTH or level > MAX_LEVEL:
        raise MalformedError(f"not a tile path: {path[:80]!r}")
    tile = Tile(level, index, width)
    if tile.path() != path:  # e.g. a leading x000 group
        raise MalformedError(f"not a canonical tile path: {path[:80]!r}")
    return tile


def _level_count(size: int, level: int) -> int:
    """How many hashes tree level 8·level has in a tree of `size` leaves."""
    return size >> (TILE_HEIGHT * level)


def tile_for(level: int, index: int, size: int) -> Tile:
    """Tile `index` at `level` (ENTRIES for a bundle) as it is in a tree of `size`."""
    count = _level_count(size, max(level, 0))
    full, partial = divmod(count, TILE_WIDTH)
    if index < full:
        return Tile(level, index, TILE_WIDTH)
    if index == full and partial:
        return Tile(level, index, partial)
    raise MalformedError(f"a tree of {size} leaves has no tile {index} at level {level}")


def tiles_for_size(size: int) -> list[Tile]:
    """Every hash tile (full and partial) of a tree of `size` leaves, level by level."""
    return _new_tiles(0, size, TILE_HEIGHT)


def new_tiles(old_size: int, new_size: int) -> list[Tile]:
    """The hash tiles a tree of `new_size` has that a tree of `old_size` has not (or had
    narrower): what the log writes when it grows."""
    return _new_tiles(old_size, new_size, TILE_HEIGHT)


def _new_tiles(old: int, new: int, height: int) -> list[Tile]:
    return [Tile(*coordinates) for coordinates in _new_tile_coordinates(old, new, height)]


def _new_tile_coordinates(old: int, new: int, height: int) -> list[tuple[int, int, int]]:
    """(level, index, width) of each new tile; `height` is a parameter only so that Go's tests
    (height 10) can check this arithmetic."""
    if not 0 <= old <= new:
        raise MalformedError(f"no tiles from size {old} to size {new}")
    tiles, level = [], 0
    while new >> (height * level):
        old_count, new_count = old >> (height * level), new >> (height * level)
        if old_count != new_count:
            full, partial = divmod(new_count, 1 << height)
            tiles += [(level, n, 1 << height) for n in range(old_count >> height, full)]
            if partial:
                tiles.append((level, full, partial))
        level += 1
    return tiles


def tile_data(tile: Tile, read: HashReader) -> bytes:
    """A hash tile's bytes (width × 32) from the log's stored hashes."""
    if tile.level == ENTRIES:
        raise MalformedError("an entry bundle is not made of stored hashes")
    base, level = tile.index * TILE_WIDTH, TILE_HEIGHT * tile.level
    hashes = read([stored_hash_index(level, base + i) for i in range(tile.width)])
    if len(hashes) != tile.width:
        raise MalformedError(f"asked for {tile.width} stored hashes, got {len(hashes)}")
    return b"".join(hashes)


def split_stored_hash_index(index: int) -> tuple[int, int]:
    """The (level, n) of the node stored at `index` (the inverse of stored_hash_index)."""
    if index < 0:
        raise MalformedError(f"negative stored hash index {index}")
    lo, hi = 0, index  # the last leaf m with stored_hash_count(m) <= index
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if stored_hash_count(mid) <= index else (lo, mid - 1)
    level = index - stored_hash_count(lo)
    return level, ((lo + 1) >> level) - 1


def _subtree(hashes: list[bytes]) -> bytes:
    """MTH of a power-of-two run of hashes."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


class _TileHashReader:
    """Reads stored hashes out of fetched tiles, each tile checked before any hash is used:
    partial tiles against the signed root (they are what the root is made of), full tiles
    against their hash in the verified tile above."""

    def __init__(self, size: int, root: bytes, fetch: TileFetcher) -> None:
        if size < 0 or len(root) != HASH_SIZE:
            raise MalformedError("tile reader needs a tree size ≥ 0 and a 32-byte root")
        self.size, self.root, self.fetch = size, root, fetch
        self.verified: dict[Tile, list[bytes]] = {}
        self.edge_checked = False

    def __call__(self, indexes: list[int]) -> list[bytes]:
        if not self.edge_checked:
            self._verify_edge()
        return [self._node(*split_stored_hash_index(i)) for i in indexes]

    def _get(self, tile: Tile) -> list[bytes]:
        data = self.fetch(tile)
        if len(data) != tile.width * HASH_SIZE:
            raise ProofError(f"{tile.path()} is {len(data)} bytes, not {tile.width * HASH_SIZE}")
        return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]

    def _verify_edge(self) -> None:
        partials = [t for t in tiles_for_size(self.size) if t.width < TILE_WIDTH]
        self.verified = {t: self._get(t) for t in partials}  # provisionally: the root decides
        self.edge_checked = True
        try:
            computed = tree_root(self.size, self)
        except ProofError:
            computed = b""
        if computed != self.root:
            self.verified, self.edge_checked = {}, False
            raise ProofError(f"the right-edge tiles of size {self.size} do not hash to the root")

    def _tile(self, level: int, index: int) -> list[bytes]:
        tile = tile_for(level, index, self.size)
        if tile not in self.verified:
            hashes = self._get(tile)
            parent = self._node(TILE_HEIGHT * (level + 1), index)
            if _subtree(hashes) != parent:
                raise ProofError(f"{tile.path()} does not hash to its entry in the tile above")
            self.verified[tile] = hashes
        return self.verified[tile]

    def _node(self, level: int, n: int) -> bytes:
        """The hash of node (level, n), from the tile holding its descendants at 8·⌊level/8⌋."""
        if level < 0 or (n + 1) << level > self.size:
            raise ProofError(f"node ({level}, {n}) is outside a tree of {self.size} leaves")
        t, r = divmod(level, TILE_HEIGHT)
        first = n << r
        hashes = self._tile(t, first // TILE_WIDTH)
        start = first % TILE_WIDTH
        return _subtree(hashes[start : start + (1 << r)])


def tile_hash_reader(size: int, root: bytes, fetch: TileFetcher) -> HashReader:
    """A `read` for merkle.prove_* and tree_root that fetches tiles and checks them against
    `root` (the verified checkpoint's), like Go's TileHashReader: a hash it returns is one the
    root commits to, or it raises ProofError."""
    return _TileHashReader(size, root, fetch)


def read_leaf_hashes(read: HashReader, start: int, end: int) -> list[bytes]:
    """The leaf hashes of leaves start..end-1."""
    if not 0 <= start <= end:
        raise MalformedError(f"no leaves from {start} to {end}")
    return read([stored_hash_index(0, i) for i in range(start, end)]) if end > start else []


def bundle_for_index(index: int) -> int:
    """The entry bundle holding leaf `index` (bundle N holds entries N·256 .. N·256+255)."""
    if index < 0:
        raise MalformedError(f"negative leaf index {index}")
    return index // TILE_WIDTH


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """tlog-tiles entry bundle: each entry as a big-endian uint16 length, then its bytes."""
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise MalformedError(f"an entry bundle holds 1 to {TILE_WIDTH} entries")
    out = bytearray()
    for e in entries:
        if len(e) > MAX_ENTRY_SIZE:
            raise MalformedError(f"an entry of {len(e)} bytes does not fit a bundle")
        out += len(e).to_bytes(2, "big") + e
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    """The entries of a bundle; MalformedError on a short or trailing piece."""
    entries: list[bytes] = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise MalformedError(f"entry bundle ends inside a length prefix at byte {at}")
        length = int.from_bytes(data[at : at + 2], "big")
        if at + 2 + length > len(data):
            raise MalformedError(f"entry bundle ends inside entry {len(entries)}")
        entries.append(data[at + 2 : at + 2 + length])
        at += 2 + length
        if len(entries) > TILE_WIDTH:
            raise MalformedError(f"entry bundle holds more than {TILE_WIDTH} entries")
    return entries
