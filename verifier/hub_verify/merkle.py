"""RFC 9162 §2.1 Merkle trees (hashing identical to RFC 6962), and the Go sumdb stored-hash layout.

Two ways to get the same numbers: the reference recursive definitions over a list of leaf hashes
(MTH, PATH, PROOF), used by tests and small callers, and the same proofs computed from a log's
stored hashes through a `read` callable (a database, or tiles checked against a root).
"""

import hashlib
import hmac
from collections.abc import Callable, Sequence

from hub_verify.errors import MalformedError, ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# read(indexes) -> the stored hashes at those indexes, in that order.
HashReader = Callable[[list[int]], list[bytes]]


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 §2.1.1: MTH({d}) = SHA-256(0x00 ‖ d)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: an interior node, SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n ≥ 2): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


# --- The reference recursive definitions (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1) ---


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) from the leaf hashes (already hashed with leaf_hash)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return node_hash(root(leaf_hashes[:k]), root(leaf_hashes[k:]))


def inclusion_path(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the sibling hashes from the leaf up to the root's child."""
    _check_index(index, len(leaf_hashes))
    return _path(index, leaf_hashes)


def _path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return _path(m, d[:k]) + [root(d[k:])]
    return _path(m - k, d[k:]) + [root(d[:k])]


def consistency_proof(old: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]); empty when m is 0 or n (the rule this package verifies)."""
    _check_sizes(old, len(leaf_hashes))
    if old == 0:
        return []
    return _subproof(old, leaf_hashes, True)


def _subproof(m: int, d: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if complete else [root(d)]
    k = _split(n)
    if m <= k:
        return _subproof(m, d[:k], complete) + [root(d[k:])]
    return _subproof(m - k, d[k:], False) + [root(d[:k])]


def _check_index(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise MalformedError(f"leaf index {index} is outside a tree of {size} leaves")


def _check_sizes(old: int, new: int) -> None:
    if not 0 <= old <= new:
        raise MalformedError(f"no consistency proof from size {old} to size {new}")


# --- Verification (RFC 9162 §2.1.3.2 and §2.1.4.2, with 32-byte checks) ---


def _check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} is not a {HASH_SIZE}-byte hash")
    return bytes(value)


def _check_proof(proof: Sequence[bytes]) -> list[bytes]:
    return [_check_hash(p, f"proof hash #{i}") for i, p in enumerate(proof)]


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless `proof` shows leaf `index` with `leaf_hash` in the tree `root`."""
    root = _check_hash(root, "root")
    if root != _inclusion_root(leaf_hash, index, size, proof):
        raise ProofError(f"inclusion proof for leaf {index} does not lead to the size-{size} root")


def _inclusion_root(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` implies (RFC 9162 §2.1.3.2 steps 1-5); ProofError if it cannot."""
    r = _check_hash(leaf_hash, "leaf hash")
    hashes = _check_proof(proof)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of {size} leaves")
    fn, sn = index, size - 1
    for p in hashes:
        if sn == 0:
            raise ProofError(f"inclusion proof for leaf {index} in size {size} is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"inclusion proof for leaf {index} in size {size} is too short")
    return r


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Raise ProofError unless `proof` shows tree `new_root` extends tree `old_root`.

    Rule chosen where RFC 9162 (0 < first < second) is silent: from size 0 the proof must be
    empty (any roots); between equal sizes it must be empty and the roots equal.
    """
    hashes = _check_proof(proof)
    old_root = _check_hash(old_root, "old root")
    new_root = _check_hash(new_root, "new root")
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size == 0 or old_size == new_size:
        if hashes:
            raise ProofError(f"consistency proof from size {old_size} to {new_size} must be empty")
        if old_size == new_size and not hmac.compare_digest(old_root, new_root):
            raise ProofError(f"two different roots for the same size {old_size}")
        return
    fr, sr = _consistency_roots(old_size, new_size, hashes, old_root)
    if fr != old_root or sr != new_root:
        raise ProofError(f"consistency proof from size {old_size} to {new_size} does not verify")


def _consistency_roots(
    first: int, second: int, path: list[bytes], first_hash: bytes
) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.4.2 steps 1-6 for 0 < first < second: the two roots the proof implies."""
    if not path:
        raise ProofError(f"consistency proof from size {first} to {second} is empty")
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof from size {first} to {second} is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"consistency proof from size {first} to {second} is too short")
    return fr, sr


# --- The stored-hash layout (as Go's sumdb/tlog) ---
# After leaf m is appended the log stores its leaf hash, then one hash per level it completes.
# So the node (level, n) is stored right after leaf ((n + 1) << level) - 1, and a log of n
# leaves holds 2n - popcount(n) hashes.


def stored_hash_count(n: int) -> int:
    """How many hashes a log of n leaves stores."""
    if n < 0:
        raise MalformedError(f"negative tree size {n}")
    return 2 * n - n.bit_count()


def stored_hash_index(level: int, n: int) -> int:
    """Where the hash of the n-th node at `level` (0 = leaves) is stored."""
    if level < 0 or n < 0:
        raise MalformedError(f"no stored hash at level {level}, index {n}")
    last_leaf = ((n + 1) << level) - 1
    return stored_hash_count(last_leaf) + level


def stored_hashes_for_leaf(n: int, leaf_hash: bytes, read: HashReader) -> list[bytes]:
    """The hashes to append after leaf n: its leaf hash, then each subtree it completes."""
    if n < 0:
        raise MalformedError(f"negative leaf index {n}")
    _check_hash(leaf_hash, "leaf hash")
    levels = (~n & (n + 1)).bit_length() - 1  # trailing one bits of n: subtrees it completes
    lefts = _read(read, [stored_hash_index(level, (n >> level) - 1) for level in range(levels)])
    hashes = [leaf_hash]
    for left in lefts:
        hashes.append(node_hash(left, hashes[-1]))
    return hashes


def _read(read: HashReader, indexes: list[int]) -> list[bytes]:
    if not indexes:
        return []
    hashes = read(indexes)
    if len(hashes) != len(indexes) or any(len(h) != HASH_SIZE for h in hashes):
        raise MalformedError(f"asked for {len(indexes)} stored hashes, got something else")
    return list(hashes)


def _subtrees(lo: int, hi: int) -> list[tuple[int, int]]:
    """The maximal aligned subtrees (level, index) covering D[lo:hi], left to right.

    For every range the RFC recursion produces, MTH(D[lo:hi]) is these folded from the right.
    """
    parts = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        while lo & ((1 << level) - 1):
            level -= 1
        parts.append((level, lo >> level))
        lo += 1 << level
    return parts


def _fold(hashes: list[bytes]) -> bytes:
    h = hashes[-1]
    for left in reversed(hashes[:-1]):
        h = node_hash(left, h)
    return h


def _hash_ranges(ranges: list[tuple[int, int]], read: HashReader) -> list[bytes]:
    """MTH of each range, with a single call to read."""
    parts = [_subtrees(lo, hi) for lo, hi in ranges]
    flat = _read(read, [stored_hash_index(level, n) for p in parts for level, n in p])
    out, at = [], 0
    for p in parts:
        out.append(_fold(flat[at : at + len(p)]))
        at += len(p)
    return out


def tree_root(size: int, read: HashReader) -> bytes:
    """MTH of the first `size` leaves, from O(log n) stored hashes."""
    if size < 0:
        raise MalformedError(f"negative tree size {size}")
    if size == 0:
        return EMPTY_ROOT
    return _hash_ranges([(0, size)], read)[0]


def prove_inclusion(size: int, index: int, read: HashReader) -> list[bytes]:
    """PATH(index, D[size]) from stored hashes (equal to inclusion_path)."""
    _check_index(index, size)
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    return list(reversed(_hash_ranges(ranges, read)))


def prove_consistency(new_size: int, old_size: int, read: HashReader) -> list[bytes]:
    """PROOF(old_size, D[new_size]) from stored hashes (equal to consistency_proof)."""
    _check_sizes(old_size, new_size)
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, new_size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        ranges.append((lo, hi))
    return list(reversed(_hash_ranges(ranges, read)))
