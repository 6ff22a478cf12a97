"""C2SP tlog-checkpoint v1.0.0: the note text `origin\\nsize\\nbase64(root)\\n`."""

from dataclasses import dataclass

from hub_verify.errors import MalformedError
from hub_verify.merkle import HASH_SIZE
from hub_verify.note import decode_base64, encode_base64

MAX_SIZE = (1 << 63) - 1  # what Go's int64 tree sizes can hold


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        _check_origin(self.origin)
        if not 0 <= self.size <= MAX_SIZE:
            raise MalformedError(f"checkpoint size {self.size} is out of range")
        if len(self.root) != HASH_SIZE:
            raise MalformedError(f"checkpoint root must be {HASH_SIZE} bytes")

    def text(self) -> bytes:
        return f"{self.origin}\n{self.size}\n{encode_base64(self.root)}\n".encode()


def _check_origin(origin: str) -> None:
    # The spec only requires non-empty; a newline or control character would break the note.
    if not origin or any(ord(c) < 0x20 or c == "\x7f" for c in origin):
        raise MalformedError("checkpoint origin must be a non-empty line of text")


def parse_checkpoint(text: bytes) -> Checkpoint:
    """Strict: exactly three lines (extension lines are refused here), size without leading
    zeros, root a canonical base64 32-byte hash."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedError("checkpoint is not valid UTF-8") from None
    lines = decoded.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise MalformedError("checkpoint must be three lines, each ending in a newline")
    if len(lines) > 4:
        raise MalformedError("checkpoint has extension lines, which this log never writes")
    origin, size_text, root_text = lines[:3]
    return Checkpoint(origin, _parse_size(size_text), _parse_root(root_text))


def _parse_size(text: str) -> int:
    if not text.isascii() or not text.isdigit() or (text != "0" and text.startswith("0")):
        raise MalformedError(f"checkpoint size {text[:30]!r} is not a plain decimal number")
    if len(text) > 19 or int(text) > MAX_SIZE:
        raise MalformedError("checkpoint size is too large")
    return int(text)


def _parse_root(text: str) -> bytes:
    root = decode_base64(text, "checkpoint root hash")
    if len(root) != HASH_SIZE:
        raise MalformedError(f"checkpoint root hash must be {HASH_SIZE} bytes")
    return root
