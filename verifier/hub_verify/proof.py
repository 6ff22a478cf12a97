"""C2SP tlog-proof@v1: an offline-verifiable proof that an entry is in a witnessed log.

c2sp.org/tlog-proof@v1
extra <base64>          (optional; not authenticated: the hub puts the leaf line there)
index <i>
<base64 hash>...        (inclusion proof, leaf's sibling first)
                        (empty line)
<signed checkpoint, verbatim>
"""

from dataclasses import dataclass

from hub_verify.checkpoint import Checkpoint
from hub_verify.errors import MalformedError
from hub_verify.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from hub_verify.note import decode_base64, encode_base64, parse_note
from hub_verify.policy import Policy

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_HASHES = 63  # a tree of < 2^63 leaves
MAX_INDEX = (1 << 63) - 1


@dataclass
class TlogProof:
    index: int
    hashes: list[bytes]
    checkpoint: bytes  # the signed note, cosignatures included
    extra: bytes | None = None


def format_proof(p: TlogProof) -> bytes:
    if not 0 <= p.index <= MAX_INDEX or len(p.hashes) > MAX_PROOF_HASHES:
        raise MalformedError("proof index or length out of range")
    if any(len(h) != HASH_SIZE for h in p.hashes):
        raise MalformedError(f"proof hashes must be {HASH_SIZE} bytes")
    parse_note(p.checkpoint)
    lines = [HEADER]
    if p.extra is not None:
        lines.append(f"extra {encode_base64(p.extra)}")
    lines.append(f"index {p.index}")
    lines += [encode_base64(h) for h in p.hashes]
    return ("\n".join(lines) + "\n\n").encode() + p.checkpoint


def parse_proof(data: bytes) -> TlogProof:
    """Parse a .tlog-proof file strictly; MalformedError says what is wrong."""
    head, sep, checkpoint = data.partition(b"\n\n")
    if not sep:
        raise MalformedError("tlog-proof has no empty line before its checkpoint")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise MalformedError("tlog-proof header is not ASCII") from None
    if lines[0] != HEADER:
        raise MalformedError(f"tlog-proof must start with {HEADER}")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = decode_base64(rest.pop(0)[len("extra ") :], "tlog-proof extra")
    if not rest or not rest[0].startswith("index "):
        raise MalformedError("tlog-proof has no index line")
    index = _parse_index(rest.pop(0)[len("index ") :])
    if len(rest) > MAX_PROOF_HASHES:
        raise MalformedError(f"tlog-proof has more than {MAX_PROOF_HASHES} hashes")
    hashes = [decode_base64(line, f"proof hash #{i}") for i, line in enumerate(rest)]
    if any(len(h) != HASH_SIZE for h in hashes):
        raise MalformedError(f"tlog-proof hashes must be {HASH_SIZE} bytes")
    parse_note(checkpoint)
    return TlogProof(index, hashes, checkpoint, extra)


def _parse_index(text: str) -> int:
    if not text.isascii() or not text.isdigit() or (text != "0" and text.startswith("0")):
        raise MalformedError(f"tlog-proof index {text[:30]!r} is not a plain decimal number")
    if len(text) > 19 or int(text) > MAX_INDEX:
        raise MalformedError("tlog-proof index is too large")
    return int(text)


def verify_proof(p: TlogProof, entry: bytes, policy: Policy) -> Checkpoint:
    """tlog-proof "Verifying": the checkpoint is signed by a known log and cosigned to the
    policy's quorum, and the entry's leaf hash is at `index` in that tree. Returns the
    checkpoint; raises SignatureError, PolicyError or ProofError."""
    checkpoint = policy.check(p.checkpoint)
    verify_inclusion(leaf_hash(entry), p.index, checkpoint.size, p.hashes, checkpoint.root)
    return checkpoint
