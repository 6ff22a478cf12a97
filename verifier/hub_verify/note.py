"""C2SP signed-note v1.0.0 (Ed25519, type 0x01) and tlog-cosignature/v1 (timestamped Ed25519, 0x04).

A note is UTF-8 text ending in a newline, a blank line, then signature lines
`— <key name> <base64(key ID ‖ signature)>`. Keys travel as text: verifier keys (vkeys)
`<name>+<hex key ID>+<base64(type ‖ public key)>` and Go-format private keys (skeys)
`PRIVATE+KEY+<name>+<hex key ID>+<base64(type ‖ Ed25519 seed)>`.
"""

import base64
import binascii
import hashlib
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub_verify.errors import MalformedError, SignatureError

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
KEY_TYPES = {ED25519: "Ed25519", COSIGNATURE_V1: "cosignature/v1"}
# signed-note: verifiers MUST accept at least 16 signatures and SHOULD cap them (Go: 100).
MAX_SIGNATURES = 100
MAX_NOTE_SIZE = 1 << 20
MAX_TIMESTAMP = (1 << 63) - 1  # tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1
SIG_PREFIX = "\u2014 "  # em dash, space
SKEY_PREFIX = "PRIVATE+KEY+"


def decode_base64(text: str | bytes, what: str) -> bytes:
    """Standard padded base64 (RFC 4648 §4), canonical only: one text per byte string."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedError(f"{what} is not standard base64") from None
    if base64.b64encode(data) != raw:
        raise MalformedError(f"{what} is not canonical standard base64")
    return data


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    """signed-note: SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def check_key_name(name: str) -> str:
    """signed-note: non-empty, no Unicode spaces, no '+' (and, as a note line, no controls)."""
    if not name or "+" in name or any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in name):
        raise MalformedError(f"bad key name {name!r}: it must be non-empty, without spaces or '+'")
    return name


def _parse_key(text: str, what: str) -> tuple[str, bytes, int, bytes]:
    """`<name>+<hex id>+<base64(type ‖ key)>` -> (name, key id, type, 32-byte key)."""
    name, plus1, rest = text.partition("+")
    hex_id, plus2, b64 = rest.partition("+")
    if not (plus1 and plus2):
        raise MalformedError(f"{what} must be <name>+<hex key ID>+<base64 key>")
    check_key_name(name)
    if len(hex_id) != 8 or any(c not in "0123456789abcdef" for c in hex_id):
        raise MalformedError(f"{what} key ID must be 8 lowercase hex digits")
    material = decode_base64(b64, f"{what} key")
    if len(material) != 33 or material[0] not in KEY_TYPES:
        raise MalformedError(f"{what} must hold a type byte 0x01 or 0x04 and a 32-byte key")
    return name, bytes.fromhex(hex_id), material[0], material[1:]


class Verifier:
    """A verifier key (vkey): Ed25519 (0x01) for logs, cosignature/v1 (0x04) for witnesses."""

    def __init__(self, vkey: str) -> None:
        name, kid, key_type, public = _parse_key(vkey, "verifier key")
        if kid != key_id(name, key_type, public):
            raise MalformedError(f"verifier key ID {kid.hex()} does not match its key")
        try:
            self._public = Ed25519PublicKey.from_public_bytes(public)
        except ValueError:
            raise MalformedError("verifier key is not an Ed25519 public key") from None
        self.name, self.key_id, self.type, self.public_key = name, kid, key_type, public
        self.vkey = vkey

    def __repr__(self) -> str:
        return f"Verifier({self.vkey!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Verifier) and other.vkey == self.vkey

    def __hash__(self) -> int:
        return hash(self.vkey)

    def verify(self, text: bytes, data: bytes) -> bool:
        """Whether `data` (a signature line's bytes after the key ID) signs the note `text`."""
        if self.type == COSIGNATURE_V1:
            if len(data) != 72:
                return False
            (timestamp,) = struct.unpack(">Q", data[:8])
            if timestamp > MAX_TIMESTAMP:
                return False
            message, signature = cosigned_message(text, timestamp), data[8:]
        else:
            if len(data) != 64:
                return False
            message, signature = text, data
        try:
            self._public.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Signer:
    """A Go-format private key: signs notes (type 0x01) or cosigns checkpoints (type 0x04)."""

    def __init__(self, skey: str) -> None:
        if not skey.startswith(SKEY_PREFIX):
            raise MalformedError("private key must start with PRIVATE+KEY+")
        name, kid, key_type, seed = _parse_key(skey[len(SKEY_PREFIX) :], "private key")
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        public = self._private.public_key().public_bytes_raw()
        if kid != key_id(name, key_type, public):
            raise MalformedError(f"private key ID {kid.hex()} does not match its key")
        self.name, self.key_id, self.type, self.public_key = name, kid, key_type, public

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r}, key_id={self.key_id.hex()})"  # never the seed

    def sign(self, text: bytes) -> bytes:
        """The 64-byte Ed25519 signature of `text`."""
        return self._private.sign(text)

    def vkey(self, cosigner: bool = False) -> str:
        key_type = COSIGNATURE_V1 if cosigner else self.type
        return format_vkey(self.name, key_type, self.public_key)


def format_vkey(name: str, key_type: int, public_key: bytes) -> str:
    check_key_name(name)
    kid = key_id(name, key_type, public_key)
    return f"{name}+{kid.hex()}+{encode_base64(bytes([key_type]) + public_key)}"


def _new_key(name: str, key_type: int) -> tuple[str, str]:
    check_key_name(name)
    seed = os.urandom(32)
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    kid = key_id(name, key_type, public).hex()
    skey = f"{SKEY_PREFIX}{name}+{kid}+{encode_base64(bytes([key_type]) + seed)}"
    return skey, format_vkey(name, key_type, public)


def generate_key(name: str) -> tuple[str, str]:
    """A new Ed25519 (0x01) key pair for a log: (skey, vkey)."""
    return _new_key(name, ED25519)


def cosigner_key(name: str) -> tuple[str, str]:
    """A new cosignature/v1 (0x04) key pair for a witness: (skey, vkey)."""
    return _new_key(name, COSIGNATURE_V1)


def vkey_of(skey: str, cosigner: bool = False) -> str:
    """The vkey of a private key; `cosigner` forces type 0x04 (a 0x04 skey is always 0x04)."""
    return Signer(skey).vkey(cosigner)


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, 4-byte key ID, and the bytes after the key ID."""

    name: str
    key_id: bytes
    data: bytes

    def line(self) -> str:
        return f"{SIG_PREFIX}{self.name} {encode_base64(self.key_id + self.data)}\n"


@dataclass
class Note:
    text: bytes
    signatures: list[Signature] = field(default_factory=list)


def _check_text(text: bytes) -> str:
    """The note text rules: UTF-8, no control characters but newline, ends in a newline."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedError("note is not valid UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in decoded):
        raise MalformedError("note holds a control character")
    if not decoded.endswith("\n"):
        raise MalformedError("note text must end with a newline")
    return decoded


def parse_signature_line(line: str) -> Signature:
    """`— <key name> <base64(key ID ‖ signature)>`, without its newline."""
    if not line.startswith(SIG_PREFIX):
        raise MalformedError(f"signature line must start with an em dash: {line[:40]!r}")
    name, space, b64 = line[len(SIG_PREFIX) :].partition(" ")
    if not space:
        raise MalformedError("signature line must be '— <key name> <base64 signature>'")
    check_key_name(name)
    raw = decode_base64(b64, f"signature of {name}")
    if len(raw) < 5:
        raise MalformedError(f"signature of {name} is too short")
    return Signature(name, raw[:4], raw[4:])


def parse_note(data: bytes) -> Note:
    """Split a signed note at its last blank line; MalformedError if it breaks a rule."""
    if len(data) > MAX_NOTE_SIZE:
        raise MalformedError(f"note is larger than {MAX_NOTE_SIZE} bytes")
    _check_text(data)
    split = data.rfind(b"\n\n")
    if split < 0:
        raise MalformedError("note has no blank line before its signatures")
    text, block = data[: split + 1], data[split + 2 :].decode("utf-8")
    lines = block.split("\n")
    if lines[-1] != "" or len(lines) < 2:
        raise MalformedError("note has no signature lines")
    if len(lines) - 1 > MAX_SIGNATURES:
        raise MalformedError(f"note has more than {MAX_SIGNATURES} signatures")
    return Note(text, [parse_signature_line(line) for line in lines[:-1]])


def format_note(text: bytes, signatures: Sequence[Signature]) -> bytes:
    _check_text(text)
    if not signatures:
        raise MalformedError("a signed note needs at least one signature")
    for s in signatures:
        check_key_name(s.name)
        if len(s.key_id) != 4 or not s.data:
            raise MalformedError(f"signature of {s.name} needs a 4-byte key ID and data")
    return text + b"\n" + "".join(s.line() for s in signatures).encode()


def sign_note(text: bytes, signer: Signer) -> bytes:
    """A whole note: `text` with one Ed25519 (0x01) signature line."""
    if signer.type != ED25519:
        raise SignatureError("a note is signed with an Ed25519 (0x01) key; use cosign for 0x04")
    _check_text(text)
    return format_note(text, [Signature(signer.name, signer.key_id, signer.sign(text))])


def add_signatures(note: bytes, signatures: Sequence[Signature | str | bytes]) -> bytes:
    """The note with more signature lines (Signature objects or `— name b64` lines) appended."""
    parsed = parse_note(note)
    have = list(parsed.signatures)
    for s in signatures:
        if not isinstance(s, Signature):
            line = s.decode("utf-8", "replace") if isinstance(s, bytes) else s
            s = parse_signature_line(line.removesuffix("\n"))
        if s not in have:
            have.append(s)
    if len(have) > MAX_SIGNATURES:
        raise MalformedError(f"note would have more than {MAX_SIGNATURES} signatures")
    return format_note(parsed.text, have)


def verify_note(data: bytes, verifiers: Sequence[Verifier]) -> tuple[Note, list[Verifier]]:
    """Parse a note and check it against known keys (signed-note "Signatures").

    Unknown keys (name and ID matching no verifier) are ignored; a known key whose signature
    fails rejects the note; so does a note that no known key signed. Returns the note and the
    verifiers whose signature verified, each once, in signature order.
    """
    note = parse_note(data)
    known = _index(verifiers)
    verified: list[Verifier] = []
    for s in note.signatures:
        v = known.get((s.name, s.key_id))
        if v is None:
            continue
        if not v.verify(note.text, s.data):
            raise SignatureError(f"invalid signature for key {s.name}+{s.key_id.hex()}")
        if v not in verified:
            verified.append(v)
    if not verified:
        raise SignatureError("note has no valid signature from a known key")
    return note, verified


def _index(verifiers: Sequence[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    known: dict[tuple[str, bytes], Verifier] = {}
    for v in verifiers:
        other = known.setdefault((v.name, v.key_id), v)
        if other != v:
            raise SignatureError(f"two different keys are named {v.name}+{v.key_id.hex()}")
    return known


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    """tlog-cosignature: "cosignature/v1\\ntime <ts>\\n" ‖ the checkpoint's note text."""
    return b"cosignature/v1\ntime %d\n" % timestamp + text


def cosign(text: bytes, skey: str, timestamp: int) -> Signature:
    """A cosignature/v1 (0x04) signature of a checkpoint's note text at `timestamp`."""
    signer = Signer(skey)
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise MalformedError(f"cosignature timestamp {timestamp} is out of range")
    _check_text(text)
    kid = key_id(signer.name, COSIGNATURE_V1, signer.public_key)
    data = struct.pack(">Q", timestamp) + signer.sign(cosigned_message(text, timestamp))
    return Signature(signer.name, kid, data)


def cosignature_timestamp(sig: Signature) -> int:
    """The timestamp a cosignature/v1 signature carries (its first 8 bytes, big-endian)."""
    if len(sig.data) != 72:
        raise MalformedError(f"signature of {sig.name} is not a cosignature/v1 (72 bytes)")
    (timestamp,) = struct.unpack(">Q", sig.data[:8])
    return int(timestamp)
