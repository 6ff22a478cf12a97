"""The hub's leaves (design note §4.3, issue 21): one ASCII line each, the log's entries.

    v1 open     <P> <textHash> <keyCommit> <flags|->
    v1 sign     <P> <N> <C> [d=<dept>]
    v1 withdraw <P> <signIndex> <s|->
    v1 close    <P> <count> <resultHash>
    v1 erase    <P> <yyyy-mm-dd>

Every 32-byte field is standard padded base64. Parsing is strict: one spelling per leaf, so that two
verifiers never disagree on what a line says, and `parse_leaf(x).line() == x` for every accepted x.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hub_verify.errors import MalformedError

MAX_LEAF_BYTES = 256
PETITION_ID = re.compile(r"[a-z0-9-]{1,36}")  # P, as the hub's API shows it (fullmatch)
# A 32-byte value (commitment, receipt secret) as JSON and URLs write it (fullmatch).
HEX32 = re.compile(r"[0-9a-f]{64}")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
_FLAG = re.compile(r"([a-z][a-z0-9]{0,15})=([a-z0-9]{1,16})")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# INSEE département codes: 01-95 except 20 (split into 2A and 2B), then the overseas 971-976.
DEPARTEMENTS = frozenset(
    [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"] + [str(n) for n in range(971, 977)]
)

_SIG_DOMAIN = b"hub/v1/sig\n"
_NULLIFIER_DOMAIN = b"hub/v1/nullifier\n"
_KEY_DOMAIN = b"hub/v1/key\n"


def commitment(petition_id: str, secret: bytes) -> bytes:
    """C = SHA-256("hub/v1/sig\\n" ‖ P ‖ "\\n" ‖ s): what a sign leaf shows of a receipt secret."""
    _check_petition_id(petition_id)
    _check_hash("secret", secret)
    return hashlib.sha256(_SIG_DOMAIN + petition_id.encode("ascii") + b"\n" + secret).digest()


def nullifier(key: bytes, signer: str) -> bytes:
    """N = HMAC-SHA256(k_P, "hub/v1/nullifier\\n" ‖ signer): one per person and petition."""
    _check_hash("key", key)
    return hmac.new(key, _NULLIFIER_DOMAIN + signer.encode("utf-8"), hashlib.sha256).digest()


def key_commit(key: bytes) -> bytes:
    """SHA-256("hub/v1/key\\n" ‖ k_P): published in the open leaf, binds the petition's key."""
    _check_hash("key", key)
    return hashlib.sha256(_KEY_DOMAIN + key).digest()


@dataclass(frozen=True)
class Open:
    petition_id: str
    text_hash: bytes
    key_commit: bytes
    flags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_petition_id(self.petition_id)
        _check_hash("text hash", self.text_hash)
        _check_hash("key commitment", self.key_commit)
        for name, value in self.flags.items():
            if not _FLAG.fullmatch(f"{name}={value}"):
                raise MalformedError(f"open: bad flag {name!r}={value!r}")

    @property
    def resign(self) -> bool:
        """Whether a person may sign again after withdrawing (the hub always says resign=1)."""
        return self.flags.get("resign") == "1"

    @property
    def departements(self) -> bool:
        """Whether sign leaves carry a département (d=)."""
        return self.flags.get("dept") == "1"

    def line(self) -> str:
        flags = ",".join(f"{k}={v}" for k, v in self.flags.items()) or "-"
        return _line("open", self.petition_id, _b64(self.text_hash), _b64(self.key_commit), flags)


@dataclass(frozen=True)
class Sign:
    petition_id: str
    nullifier: bytes
    commitment: bytes
    departement: str | None = None

    def __post_init__(self) -> None:
        _check_petition_id(self.petition_id)
        _check_hash("nullifier", self.nullifier)
        _check_hash("commitment", self.commitment)
        if self.departement is not None and self.departement not in DEPARTEMENTS:
            raise MalformedError(f"sign: {self.departement!r} is not a département code")

    def line(self) -> str:
        fields = [self.petition_id, _b64(self.nullifier), _b64(self.commitment)]
        if self.departement is not None:
            fields.append(f"d={self.departement}")
        return _line("sign", *fields)


@dataclass(frozen=True)
class Withdraw:
    petition_id: str
    sign_index: int
    secret: bytes | None  # None: withdrawn by the operator ("-"), not proven by the citizen

    def __post_init__(self) -> None:
        _check_petition_id(self.petition_id)
        _check_count("sign index", self.sign_index)
        if self.secret is not None:
            _check_hash("secret", self.secret)

    def line(self) -> str:
        secret = "-" if self.secret is None else _b64(self.secret)
        return _line("withdraw", self.petition_id, str(self.sign_index), secret)


@dataclass(frozen=True)
class Close:
    petition_id: str
    count: int
    result_hash: bytes

    def __post_init__(self) -> None:
        _check_petition_id(self.petition_id)
        _check_count("count", self.count)
        _check_hash("result hash", self.result_hash)

    def line(self) -> str:
        return _line("close", self.petition_id, str(self.count), _b64(self.result_hash))


@dataclass(frozen=True)
class Erase:
    petition_id: str
    day: str  # yyyy-mm-dd: the day k_P, the mapping and the escrow were destroyed

    def __post_init__(self) -> None:
        _check_petition_id(self.petition_id)
        _check_day(self.day)

    def line(self) -> str:
        return _line("erase", self.petition_id, self.day)


Leaf = Open | Sign | Withdraw | Close | Erase


def parse_leaf(line: str | bytes) -> Leaf:
    """The leaf a log entry holds; MalformedError unless it is exactly one canonical v1 line."""
    text = _ascii(line)
    if len(text) > MAX_LEAF_BYTES:
        raise MalformedError(f"leaf: {len(text)} bytes, at most {MAX_LEAF_BYTES}")
    fields = text.split(" ")
    if "" in fields:
        raise MalformedError("leaf: fields must be split by single spaces")
    if len(fields) < 3 or fields[0] != "v1":
        raise MalformedError("leaf: not a 'v1 <kind> <petition> ...' line")
    parser = _PARSERS.get(fields[1])
    if parser is None:
        raise MalformedError(f"leaf: unknown kind {fields[1]!r}")
    leaf = parser(fields[1], fields[2:])
    if leaf.line() != text:  # one spelling only (e.g. flags order, no '-' for empty dicts)
        raise MalformedError("leaf: not in canonical form")
    return leaf


def _parse_open(kind: str, f: list[str]) -> Open:
    _arity(kind, f, 4)
    flags: dict[str, str] = {}
    if f[3] != "-":
        for item in f[3].split(","):
            name, _, value = item.partition("=")
            if name in flags:
                raise MalformedError(f"open: flag {name!r} given twice")
            flags[name] = value
        if not flags:
            raise MalformedError("open: empty flags must be written '-'")
    return Open(f[0], _unb64(kind, f[1]), _unb64(kind, f[2]), flags)


def _parse_sign(kind: str, f: list[str]) -> Sign:
    if len(f) == 4:
        if not f[3].startswith("d="):
            raise MalformedError("sign: the optional fourth field is d=<département>")
        return Sign(f[0], _unb64(kind, f[1]), _unb64(kind, f[2]), f[3][2:])
    _arity(kind, f, 3)
    return Sign(f[0], _unb64(kind, f[1]), _unb64(kind, f[2]))


def _parse_withdraw(kind: str, f: list[str]) -> Withdraw:
    _arity(kind, f, 3)
    secret = None if f[2] == "-" else _unb64(kind, f[2])
    return Withdraw(f[0], _decimal(kind, f[1]), secret)


def _parse_close(kind: str, f: list[str]) -> Close:
    _arity(kind, f, 3)
    return Close(f[0], _decimal(kind, f[1]), _unb64(kind, f[2]))


def _parse_erase(kind: str, f: list[str]) -> Erase:
    _arity(kind, f, 2)
    return Erase(f[0], f[1])


_PARSERS: dict[str, Callable[[str, list[str]], Leaf]] = {
    "open": _parse_open,
    "sign": _parse_sign,
    "withdraw": _parse_withdraw,
    "close": _parse_close,
    "erase": _parse_erase,
}


def _ascii(line: str | bytes) -> str:
    try:
        text = line.decode("ascii") if isinstance(line, bytes) else line
        text.encode("ascii")
    except (UnicodeDecodeError, UnicodeEncodeError):
        raise MalformedError("leaf: not ASCII") from None
    if not text.isprintable():  # no CR, LF, tab or other control characters
        raise MalformedError("leaf: control characters (a leaf is one line, no newline)")
    return text


def _arity(kind: str, fields: list[str], n: int) -> None:
    if len(fields) != n:
        raise MalformedError(f"{kind}: {n + 2} fields expected, got {len(fields) + 2}")


def _decimal(kind: str, text: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise MalformedError(f"{kind}: {text!r} is not a decimal number without leading zeros")
    return int(text)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _unb64(kind: str, text: str) -> bytes:
    """Standard padded base64 of exactly 32 bytes, canonical (no stray bits in the last char)."""
    try:
        value = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise MalformedError(f"{kind}: {text!r} is not standard padded base64") from None
    if len(value) != 32 or _b64(value) != text:
        raise MalformedError(f"{kind}: {text!r} is not the base64 of 32 bytes")
    return value


def _line(kind: str, *fields: str) -> str:
    text = " ".join(("v1", kind, *fields))
    if len(text) > MAX_LEAF_BYTES:
        raise MalformedError(f"{kind}: {len(text)} bytes, at most {MAX_LEAF_BYTES}")
    return text


def _check_petition_id(petition_id: object) -> None:
    if not isinstance(petition_id, str) or not PETITION_ID.fullmatch(petition_id):
        raise MalformedError(f"petition id {petition_id!r} is not [a-z0-9-]{{1,36}}")


def _check_hash(what: str, value: object) -> None:
    if not isinstance(value, bytes) or len(value) != 32:
        raise MalformedError(f"{what}: 32 bytes expected")


def _check_count(what: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 10**19:
        raise MalformedError(f"{what}: a non-negative integer expected")


def _check_day(day: object) -> None:
    if not isinstance(day, str) or not _DATE.fullmatch(day):
        raise MalformedError(f"erase: {day!r} is not yyyy-mm-dd")
    try:
        datetime.date.fromisoformat(day)
    except ValueError:
        raise MalformedError(f"erase: {day!r} is not a valid date") from None
