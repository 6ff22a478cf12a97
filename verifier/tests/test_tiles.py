"""C2SP tlog-tiles: the spec's and Go's examples, tiles from stored hashes, the verifying reader."""

import pytest
from hub_verify import merkle, tiles
from hub_verify.errors import MalformedError, ProofError
from hub_verify.tiles import Tile
from hypothesis import given, settings
from hypothesis import strategies as st
from public_vectors import load

C2SP = load("c2sp/c2sp_examples.json")["tlog_tiles"]
GO = load("golang-mod/go_sumdb.json")["tlog"]


class Log:
    """A log kept as stored hashes, that serves tiles from them (as the transparency service)."""

    def __init__(self, n: int) -> None:
        self.stored: list[bytes] = []
        self.entries = [b"entry %d" % i for i in range(n)]
        for i, e in enumerate(self.entries):
            self.stored += merkle.stored_hashes_for_leaf(i, merkle.leaf_hash(e), self.read)
        self.fetched: list[Tile] = []

    def read(self, indexes: list[int]) -> list[bytes]:
        return [self.stored[i] for i in indexes]

    def fetch(self, tile: Tile) -> bytes:
        self.fetched.append(tile)
        return tiles.tile_data(tile, self.read)


LOG = Log(70_000)
ROOTS = {n: merkle.tree_root(n, LOG.read) for n in range(0, 1100)}


# --- The examples ---


@pytest.mark.parametrize("size", ["70000", "256"])
def test_c2sp_partial_tile_examples(size: str) -> None:
    by_level: dict[int, dict[str, int]] = {}
    for t in tiles.tiles_for_size(int(size)):
        counts = by_level.setdefault(t.level, {"full": 0, "partial": 0})
        if t.width == tiles.TILE_WIDTH:
            counts["full"] += 1
        else:
            assert counts["partial"] == 0
            counts["partial"] = t.width
    assert by_level == {int(k): v for k, v in C2SP["sizes"][size].items()}


def test_c2sp_index_path_example() -> None:
    for index, want in C2SP["index_path"].items():
        assert Tile(0, int(index), 256).path() == f"tile/0/{want}"
    assert Tile(0, 1234, 256).path() == "tile/0/x001/234"
    assert Tile(0, 5, 256).path() == "tile/0/005"
    assert Tile(4, 1234067, 1).path() == "tile/4/x001/x234/067.p/1"
    assert Tile(tiles.ENTRIES, 5, 7).path() == "tile/entries/005.p/7"


def _c2sp_path(go_path: str, height: int, width: int) -> tuple[str, int]:
    """Go's tile/<H>/<L>/<N>[.p/<W>] as C2SP writes it (H = 8 implied, `data` -> `entries`)."""
    rest = go_path.split("/", 2)[2].replace("data/", "entries/", 1)
    full = width == 1 << height
    return (rest.split(".p/")[0] if full else rest), (256 if full else width)


@pytest.mark.parametrize("case", GO["tile_paths_go"], ids=lambda c: c["path"])
def test_go_tile_path_examples_in_c2sp_form(case: dict) -> None:
    path, width = _c2sp_path(case["path"], case["H"], case["W"])
    want = Tile(case["L"], case["N"], width)
    assert tiles.parse_tile_path("tile/" + path) == want
    assert want.path() == "tile/" + path


@pytest.mark.parametrize("go_path", GO["bad_tile_paths_go"])
def test_go_bad_tile_paths_are_refused(go_path: str) -> None:
    with pytest.raises(MalformedError):
        tiles.parse_tile_path("tile/" + go_path.split("/", 2)[2])


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "tile/0/1",
        "tile/0/0001",
        "tile/0/x000/001",
        "tile/00/001",
        "tile/64/001",
        "tile/-1/001",
        "tile/0/001.p/0",
        "tile/0/001.p/256",
        "tile/0/001.p/05",
        "tile/0/001.p/",
        "tile/0/001/",
        "/tile/0/001",
        "tile/data/001",
        "tile/0/x001",
        "tile/0/001\n",
        "tile/0/" + "x001/" * 100 + "001",
    ],
)
def test_malformed_tile_paths_are_refused(bad: str) -> None:
    with pytest.raises(MalformedError):
        tiles.parse_tile_path(bad)


@pytest.mark.parametrize(
    ("old", "new", "want"),
    [
        (1, 1, 0),
        (100, 101, 1),
        (1023, 1025, 3),
        (1024, 1030, 1),
        (1030, 2000, 1),
        (1030, 10000, 10),
        (49516517, 49516586, 3),
    ],
)
def test_go_new_tiles_counts_at_height_10(old: int, new: int, want: int) -> None:
    assert len(tiles._new_tile_coordinates(old, new, 10)) == want


def test_new_tiles_are_what_changes_between_two_sizes() -> None:
    for old, new in [(0, 1), (255, 256), (256, 257), (1000, 70_000), (65535, 65537)]:
        before, after = set(tiles.tiles_for_size(old)), set(tiles.tiles_for_size(new))
        assert set(tiles.new_tiles(old, new)) == after - before


# --- Tiles from stored hashes ---


def test_a_level_0_tile_is_the_leaf_hashes() -> None:
    data = tiles.tile_data(Tile(0, 1, 3), LOG.read)
    assert data == b"".join(merkle.leaf_hash(LOG.entries[i]) for i in range(256, 259))


def test_each_hash_of_a_level_1_tile_is_the_root_of_a_full_level_0_tile() -> None:
    data = tiles.tile_data(Tile(1, 0, 2), LOG.read)
    first = [merkle.leaf_hash(e) for e in LOG.entries[:256]]
    assert data[:32] == merkle.root(first)
    assert data[32:] == tiles._subtree(
        [tiles.tile_data(Tile(0, 1, 256), LOG.read)[i : i + 32] for i in range(0, 8192, 32)]
    )


def test_split_stored_hash_index_inverts_stored_hash_index() -> None:
    for level in range(12):
        for n in range(300):
            i = merkle.stored_hash_index(level, n)
            assert tiles.split_stored_hash_index(i) == (level, n)


# --- The verifying reader ---


def _reader(size: int, log: Log = LOG) -> merkle.HashReader:
    return tiles.tile_hash_reader(
        size, ROOTS.get(size) or merkle.tree_root(size, log.read), log.fetch
    )


def test_proofs_through_tiles_equal_the_stored_hash_proofs_for_every_size_up_to_1099() -> None:
    for size in range(1, 1100):
        read = _reader(size)
        assert merkle.tree_root(size, read) == ROOTS[size]
        for index in {0, size // 2, size - 1}:
            want = merkle.prove_inclusion(size, index, LOG.read)
            assert merkle.prove_inclusion(size, index, read) == want
        for old in {1, size // 3, size - 1}:
            want = merkle.prove_consistency(size, old, LOG.read)
            assert merkle.prove_consistency(size, old, read) == want


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    size=st.sampled_from([255, 256, 257, 65535, 65536, 65537]) | st.integers(1, 70_000),
)
def test_sampled_proofs_through_tiles_equal_the_recursive_ones(
    data: st.DataObject, size: int
) -> None:
    read = _reader(size)
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(0, size))
    assert merkle.prove_inclusion(size, index, read) == merkle.prove_inclusion(
        size, index, LOG.read
    )
    want = merkle.prove_consistency(size, old, LOG.read)
    assert merkle.prove_consistency(size, old, read) == want
    leaf = merkle.leaf_hash(LOG.entries[index])
    merkle.verify_inclusion(
        leaf,
        index,
        size,
        merkle.prove_inclusion(size, index, read),
        ROOTS.get(size) or merkle.tree_root(size, LOG.read),
    )


def test_a_proof_fetches_few_tiles_and_each_tile_once() -> None:
    LOG.fetched.clear()
    read = _reader(70_000)
    merkle.prove_inclusion(70_000, 12_345, read)
    merkle.prove_inclusion(70_000, 12_346, read)
    assert len(LOG.fetched) == len(set(LOG.fetched)) <= 6
    assert all(t.width < 256 or t.level < 2 for t in LOG.fetched)


def test_every_tile_the_tree_needs_is_one_the_size_has() -> None:
    """Clients MUST NOT fetch partial tiles no verified checkpoint requires."""
    for size in (1, 255, 256, 257, 1000, 65536, 70_000):
        LOG.fetched.clear()
        read = _reader(size)
        merkle.prove_inclusion(size, 0, read)
        merkle.prove_consistency(size, 1, read)
        assert set(LOG.fetched) <= set(tiles.tiles_for_size(size))


class Tampering:
    """Serves LOG's tiles with one bit flipped in one tile."""

    def __init__(self, victim: Tile, byte: int, bit: int) -> None:
        self.victim, self.byte, self.bit = victim, byte, bit

    def __call__(self, tile: Tile) -> bytes:
        data = bytearray(LOG.fetch(tile))
        if tile == self.victim:
            data[self.byte] ^= 1 << self.bit
        return bytes(data)


@pytest.mark.parametrize(
    "victim", [Tile(0, 48, 256), Tile(0, 273, 112), Tile(1, 0, 256), Tile(1, 1, 17), Tile(2, 0, 1)]
)
def test_a_flipped_bit_in_any_tile_is_caught(victim: Tile) -> None:
    root = merkle.tree_root(70_000, LOG.read)
    for byte in range(0, victim.width * 32, 97):
        for bit in (0, 7):
            read = tiles.tile_hash_reader(70_000, root, Tampering(victim, byte, bit))
            with pytest.raises(ProofError):
                for index in (0, 12_345, 69_999):  # together these touch every tile above
                    merkle.prove_inclusion(70_000, index, read)
                merkle.prove_consistency(70_000, 48 * 256 + 5, read)
                merkle.prove_inclusion(
                    70_000,
                    (byte // 32) * 256**victim.level + 256**victim.level * 256 * victim.index,
                    read,
                )


def test_a_wrong_root_or_short_tile_is_a_proof_error() -> None:
    read = tiles.tile_hash_reader(1000, b"\x00" * 32, LOG.fetch)
    with pytest.raises(ProofError, match="do not hash to the root"):
        merkle.prove_inclusion(1000, 3, read)
    read = tiles.tile_hash_reader(1000, ROOTS[1000], lambda t: LOG.fetch(t)[:-1])
    with pytest.raises(ProofError, match="bytes, not"):
        merkle.prove_inclusion(1000, 3, read)
    read = _reader(1000)
    with pytest.raises(ProofError, match="outside"):
        read([merkle.stored_hash_index(0, 1000)])
    with pytest.raises(MalformedError):
        tiles.tile_hash_reader(10, b"short", LOG.fetch)


def test_empty_tree_reader_checks_the_empty_root() -> None:
    assert (
        merkle.tree_root(0, tiles.tile_hash_reader(0, merkle.EMPTY_ROOT, LOG.fetch))
        == merkle.EMPTY_ROOT
    )
    with pytest.raises(ProofError):
        tiles.tile_hash_reader(0, merkle.EMPTY_ROOT, LOG.fetch)([0])


def test_read_leaf_hashes_checks_a_whole_bundle() -> None:
    read = _reader(1000)
    bundle = tiles.encode_bundle(LOG.entries[256:512])
    entries = tiles.decode_bundle(bundle)
    assert [merkle.leaf_hash(e) for e in entries] == tiles.read_leaf_hashes(read, 256, 512)


# --- Entry bundles ---


def test_bundles_round_trip_and_index() -> None:
    entries = [b"", b"a", b"x" * 65535]
    data = tiles.encode_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a"
    assert tiles.decode_bundle(data) == entries
    assert [tiles.bundle_for_index(i) for i in (0, 255, 256, 70_000)] == [0, 0, 1, 273]
    assert tiles.tile_for(tiles.ENTRIES, 273, 70_000) == Tile(tiles.ENTRIES, 273, 112)
    assert tiles.tile_for(0, 272, 70_000) == Tile(0, 272, 256)


@pytest.mark.parametrize("bad", [b"\x00", b"\x00\x02a", b"\x00\x01ab", (b"\x00\x00") * 257])
def test_malformed_bundles_are_refused(bad: bytes) -> None:
    with pytest.raises(MalformedError):
        tiles.decode_bundle(bad)


def test_bad_bundles_and_tiles_cannot_be_made() -> None:
    for call in (
        lambda: tiles.encode_bundle([]),
        lambda: tiles.encode_bundle([b"x" * 65536]),
        lambda: tiles.encode_bundle([b""] * 257),
        lambda: tiles.tile_for(0, 274, 70_000),
        lambda: tiles.tile_for(0, 0, 0),
        lambda: tiles.tile_data(Tile(tiles.ENTRIES, 0, 1), LOG.read),
        lambda: Tile(0, 0, 0),
        lambda: Tile(0, 0, 257),
        lambda: Tile(64, 0, 1),
        lambda: Tile(0, -1, 1),
        lambda: tiles.bundle_for_index(-1),
        lambda: tiles.new_tiles(5, 4),
        lambda: tiles.read_leaf_hashes(LOG.read, 5, 4),
    ):
        with pytest.raises(MalformedError):
            call()
