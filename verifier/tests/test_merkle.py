"""RFC 9162 Merkle trees: public vectors, the §2.1.5 example, stored hashes vs the recursion."""

import base64
import hashlib

import pytest
from hub_verify import merkle
from hub_verify.errors import MalformedError, ProofError
from hypothesis import given, settings
from hypothesis import strategies as st
from public_vectors import load

RFC6962 = load("transparency-dev-merkle/rfc6962.json")
PROOFS = load("transparency-dev-merkle/proofs.json")
LEAVES = [bytes.fromhex(x) for x in RFC6962["leaf_inputs_hex"]]


def _leaf_hashes(n: int) -> list[bytes]:
    return [merkle.leaf_hash(b"entry %d" % i) for i in range(n)]


class Log:
    """A log kept as Go's stored hashes, grown with stored_hashes_for_leaf."""

    def __init__(self) -> None:
        self.stored: list[bytes] = []
        self.leaves: list[bytes] = []
        self.reads = 0

    def read(self, indexes: list[int]) -> list[bytes]:
        self.reads += 1
        return [self.stored[i] for i in indexes]

    def append(self, h: bytes) -> None:
        self.stored += merkle.stored_hashes_for_leaf(len(self.leaves), h, self.read)
        self.leaves.append(h)
        assert len(self.stored) == merkle.stored_hash_count(len(self.leaves))


def _grown(n: int) -> Log:
    log = Log()
    for h in _leaf_hashes(n):
        log.append(h)
    return log


# --- Public vectors ---


def test_rfc6962_roots_of_sizes_0_to_8() -> None:
    hashes = [merkle.leaf_hash(x) for x in LEAVES]
    for size, want in enumerate(RFC6962["root_hashes_hex_by_size"]):
        assert merkle.root(hashes[:size]).hex() == want


def test_rfc6962_every_complete_subtree_hash() -> None:
    hashes = [merkle.leaf_hash(x) for x in LEAVES]
    for level, row in enumerate(RFC6962["node_hashes_hex_by_level"]):
        for i, want in enumerate(row):
            assert merkle.root(hashes[i << level : (i + 1) << level]).hex() == want


def test_empty_root_is_sha256_of_nothing() -> None:
    assert base64.b64encode(merkle.EMPTY_ROOT) == b"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def _b64(x: str | None) -> bytes:
    return base64.b64decode(x or "")


def _b64s(xs: list[str] | None) -> list[bytes]:
    return [_b64(x) for x in xs or []]


def _accepts(check: object) -> bool:
    try:
        check()  # type: ignore[operator]
    except ProofError:
        return False
    return True


# The one vector of 196 where we disagree with transparency-dev on purpose: for equal sizes and an
# empty proof its verifier compares the roots without checking their length, and accepts two
# 16-byte roots ("don't care 2"); we require 32-byte hashes everywhere, so we refuse it.
LENGTH_CHECKED = {"consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"}


def _inclusion_cases() -> list[tuple[str, dict[str, object]]]:
    return sorted(PROOFS["inclusion"].items())


def _consistency_cases() -> list[tuple[str, dict[str, object]]]:
    return sorted(PROOFS["consistency"].items())


@pytest.mark.parametrize(("name", "case"), _inclusion_cases())
def test_transparency_dev_inclusion_vectors(name: str, case: dict) -> None:
    ok = _accepts(
        lambda: merkle.verify_inclusion(
            _b64(case["leafHash"]),
            case["leafIdx"],
            case["treeSize"],
            _b64s(case["proof"]),
            _b64(case["root"]),
        )
    )
    assert ok != case["wantErr"], case["desc"]


@pytest.mark.parametrize(("name", "case"), _consistency_cases())
def test_transparency_dev_consistency_vectors(name: str, case: dict) -> None:
    ok = _accepts(
        lambda: merkle.verify_consistency(
            case["size1"],
            case["size2"],
            _b64s(case["proof"]),
            _b64(case["root1"]),
            _b64(case["root2"]),
        )
    )
    want_ok = not case["wantErr"] and f"consistency/{name}" not in LENGTH_CHECKED
    assert ok == want_ok, case["desc"]


def test_the_vector_sets_are_complete_and_we_disagree_on_one() -> None:
    assert (len(PROOFS["inclusion"]), len(PROOFS["consistency"])) == (98, 98)
    for name in LENGTH_CHECKED:
        case = PROOFS["consistency"][name.removeprefix("consistency/")]
        assert not case["wantErr"] and len(_b64(case["root1"])) != merkle.HASH_SIZE


# --- RFC 9162 §2.1.5: the 7-leaf example, by node identity ---


def _rfc9162_example() -> tuple[list[bytes], dict[str, bytes]]:
    d = [b"d%d" % i for i in range(7)]
    a, b, c, d_, e, f, j = (merkle.leaf_hash(x) for x in d)
    g, h, i = merkle.node_hash(a, b), merkle.node_hash(c, d_), merkle.node_hash(e, f)
    k, l_ = merkle.node_hash(g, h), merkle.node_hash(i, j)
    nodes = {"a": a, "b": b, "c": c, "d": d_, "e": e, "f": f, "g": g, "h": h, "i": i, "j": j}
    nodes |= {"k": k, "l": l_}
    return [merkle.leaf_hash(x) for x in d], nodes


@pytest.mark.parametrize(("index", "want"), [(0, "b h l"), (3, "c g l"), (4, "f j k"), (6, "i k")])
def test_rfc9162_example_inclusion_paths(index: int, want: str) -> None:
    leaves, nodes = _rfc9162_example()
    expected = [nodes[x] for x in want.split()]
    assert merkle.inclusion_path(index, leaves) == expected
    assert merkle.prove_inclusion(7, index, _grown_from(leaves).read) == expected


@pytest.mark.parametrize(("old", "want"), [(3, "c d g l"), (4, "l"), (6, "i j k")])
def test_rfc9162_example_consistency_proofs(old: int, want: str) -> None:
    leaves, nodes = _rfc9162_example()
    expected = [nodes[x] for x in want.split()]
    assert merkle.consistency_proof(old, leaves) == expected
    assert merkle.prove_consistency(7, old, _grown_from(leaves).read) == expected
    root7 = merkle.node_hash(nodes["k"], nodes["l"])
    merkle.verify_consistency(old, 7, expected, merkle.root(leaves[:old]), root7)


def _grown_from(leaves: list[bytes]) -> Log:
    log = Log()
    for h in leaves:
        log.append(h)
    return log


def test_go_sumdb_record_hash_of_hello_world() -> None:
    go = load("golang-mod/go_sumdb.json")["tlog"]
    got = merkle.leaf_hash(go["record_hash_input"].encode())
    assert base64.b64encode(got).decode() == go["record_hash_b64"]


# --- Stored hashes against the recursive definitions ---

MAX_ALL = 300
BIG = _grown(MAX_ALL)
PREFIX_ROOTS = [merkle.root(BIG.leaves[:n]) for n in range(MAX_ALL + 1)]


def test_stored_hash_layout_matches_go() -> None:
    # The first stored hashes in Go's order: leaf 0, leaf 1, (1,0), leaf 2, leaf 3, (1,1), (2,0).
    order = [(0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0), (0, 4)]
    assert [merkle.stored_hash_index(level, n) for level, n in order] == list(range(8))
    assert [merkle.stored_hash_count(n) for n in range(6)] == [0, 1, 3, 4, 7, 8]


def test_tree_root_from_stored_hashes_for_every_size() -> None:
    for n in range(MAX_ALL + 1):
        assert merkle.tree_root(n, BIG.read) == PREFIX_ROOTS[n]


def test_inclusion_from_stored_hashes_for_every_leaf_of_every_size() -> None:
    for n in range(1, MAX_ALL + 1):
        for i in range(n):
            proof = merkle.prove_inclusion(n, i, BIG.read)
            merkle.verify_inclusion(BIG.leaves[i], i, n, proof, PREFIX_ROOTS[n])
            if n <= 80:
                assert proof == merkle.inclusion_path(i, BIG.leaves[:n])


def test_consistency_from_stored_hashes_for_every_pair_of_sizes() -> None:
    for n in range(MAX_ALL + 1):
        for m in range(n + 1):
            proof = merkle.prove_consistency(n, m, BIG.read)
            merkle.verify_consistency(m, n, proof, PREFIX_ROOTS[m], PREFIX_ROOTS[n])
            if n <= 64:
                assert proof == merkle.consistency_proof(m, BIG.leaves[:n])


def test_one_read_per_proof() -> None:
    """Tiles are fetched per read call, so a proof must ask for all its hashes at once."""
    log = _grown(1000)
    log.reads = 0
    merkle.prove_inclusion(1000, 517, log.read)
    merkle.prove_consistency(1000, 333, log.read)
    merkle.tree_root(999, log.read)
    assert log.reads == 3


HUGE = _grown(65537)
SIZES = st.sampled_from([255, 256, 257, 511, 512, 513, 65535, 65536, 65537]) | st.integers(1, 2000)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), size=SIZES)
def test_sampled_inclusion_equals_the_recursive_path(data: st.DataObject, size: int) -> None:
    index = data.draw(st.integers(0, size - 1) | st.sampled_from([0, size - 1]))
    want = merkle.inclusion_path(index, HUGE.leaves[:size])
    assert merkle.prove_inclusion(size, index, HUGE.read) == want


@settings(max_examples=40, deadline=None)
@given(data=st.data(), size=SIZES)
def test_sampled_consistency_equals_the_recursive_proof(data: st.DataObject, size: int) -> None:
    old = data.draw(st.integers(0, size) | st.sampled_from([1, size - 1, size]))
    want = merkle.consistency_proof(old, HUGE.leaves[:size])
    assert merkle.prove_consistency(size, old, HUGE.read) == want


# --- Every single-bit flip is rejected ---


def _flips(data: bytes) -> list[bytes]:
    return [
        data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]
        for i in range(len(data))
        for bit in range(8)
    ]


@pytest.mark.parametrize(("size", "index"), [(1, 0), (7, 4), (256, 255), (300, 129)])
def test_every_bit_flip_of_an_inclusion_proof_is_rejected(size: int, index: int) -> None:
    leaf, root_ = BIG.leaves[index], PREFIX_ROOTS[size]
    proof = merkle.prove_inclusion(size, index, BIG.read)
    merkle.verify_inclusion(leaf, index, size, proof, root_)
    for k, p in enumerate(proof):
        for bad in _flips(p):
            flipped = [*proof[:k], bad, *proof[k + 1 :]]
            with pytest.raises(ProofError):
                merkle.verify_inclusion(leaf, index, size, flipped, root_)
    for bad in _flips(leaf):
        with pytest.raises(ProofError):
            merkle.verify_inclusion(bad, index, size, proof, root_)
    for bad in _flips(root_):
        with pytest.raises(ProofError):
            merkle.verify_inclusion(leaf, index, size, proof, bad)
    for bad_index in {index ^ 1, index + 1, index - 1, size} - {index}:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(leaf, bad_index, size, proof, root_)


@pytest.mark.parametrize(("old", "new"), [(1, 2), (3, 7), (4, 8), (129, 300), (256, 257)])
def test_every_bit_flip_of_a_consistency_proof_is_rejected(old: int, new: int) -> None:
    r1, r2 = PREFIX_ROOTS[old], PREFIX_ROOTS[new]
    proof = merkle.prove_consistency(new, old, BIG.read)
    for k, p in enumerate(proof):
        for bad in _flips(p):
            with pytest.raises(ProofError):
                merkle.verify_consistency(old, new, [*proof[:k], bad, *proof[k + 1 :]], r1, r2)
    for bad in _flips(r1):
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, new, proof, bad, r2)
    for bad in _flips(r2):
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, new, proof, r1, bad)
    with pytest.raises(ProofError):
        merkle.verify_consistency(old, new, proof[:-1], r1, r2)
    with pytest.raises(ProofError):
        merkle.verify_consistency(old, new, [*proof, proof[-1]], r1, r2)


# --- Bad input: clear errors, never IndexError ---


def test_equal_sizes_need_equal_roots_and_an_empty_proof() -> None:
    merkle.verify_consistency(5, 5, [], PREFIX_ROOTS[5], PREFIX_ROOTS[5])
    with pytest.raises(ProofError, match="different roots"):
        merkle.verify_consistency(5, 5, [], PREFIX_ROOTS[5], PREFIX_ROOTS[6])
    with pytest.raises(ProofError, match="must be empty"):
        merkle.verify_consistency(5, 5, [PREFIX_ROOTS[5]], PREFIX_ROOTS[5], PREFIX_ROOTS[5])
    merkle.verify_consistency(0, 5, [], merkle.EMPTY_ROOT, PREFIX_ROOTS[5])
    with pytest.raises(ProofError, match="must be empty"):
        merkle.verify_consistency(0, 5, [PREFIX_ROOTS[5]], merkle.EMPTY_ROOT, PREFIX_ROOTS[5])


@pytest.mark.parametrize(
    ("index", "size", "proof", "root_", "message"),
    [
        (0, 0, [], merkle.EMPTY_ROOT, "outside"),
        (-1, 3, [], PREFIX_ROOTS[3], "outside"),
        (3, 3, [], PREFIX_ROOTS[3], "outside"),
        (0, 3, [b"short"], PREFIX_ROOTS[3], "proof hash #0"),
        (0, 3, [], b"", "root"),
        (0, 1, [PREFIX_ROOTS[1]], PREFIX_ROOTS[1], "too long"),
        (0, 3, [BIG.leaves[1]], PREFIX_ROOTS[3], "too short"),
    ],
)
def test_malformed_inclusion_is_a_proof_error(
    index: int, size: int, proof: list[bytes], root_: bytes, message: str
) -> None:
    with pytest.raises(ProofError, match=message):
        merkle.verify_inclusion(BIG.leaves[0], index, size, proof, root_)


@pytest.mark.parametrize(
    ("old", "new", "proof", "message"),
    [
        (4, 3, [], "no consistency proof"),
        (-1, 3, [], "no consistency proof"),
        (3, 7, [], "is empty"),
        (3, 7, [b"x" * 31], "proof hash #0"),
    ],
)
def test_malformed_consistency_is_a_proof_error(
    old: int, new: int, proof: list[bytes], message: str
) -> None:
    with pytest.raises(ProofError, match=message):
        merkle.verify_consistency(old, new, proof, PREFIX_ROOTS[3], PREFIX_ROOTS[7])


def test_asking_for_proofs_beyond_the_tree_is_malformed() -> None:
    for call in (
        lambda: merkle.prove_inclusion(5, 5, BIG.read),
        lambda: merkle.prove_inclusion(5, -1, BIG.read),
        lambda: merkle.prove_consistency(5, 6, BIG.read),
        lambda: merkle.prove_consistency(5, -1, BIG.read),
        lambda: merkle.inclusion_path(0, []),
        lambda: merkle.consistency_proof(2, BIG.leaves[:1]),
        lambda: merkle.tree_root(-1, BIG.read),
        lambda: merkle.stored_hash_index(-1, 0),
    ):
        with pytest.raises(MalformedError):
            call()


def test_a_reader_answering_the_wrong_number_of_hashes_is_malformed() -> None:
    with pytest.raises(MalformedError, match="stored hashes"):
        merkle.tree_root(3, lambda idx: [hashlib.sha256(b"x").digest()])
