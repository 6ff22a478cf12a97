"""The transparency service's inputs, parsed and checked: petitions' events, HTTP parameters.

Every leaf line petitions sends is checked with ``hub_verify.leaves.parse_leaf`` (the same parser
outside verifiers use) and must name the item's petition; a bad item never enters the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub_verify import leaves
from hub_verify.errors import VerifyError
from hub_verify.note import Verifier
from hub_verify.tiles import Tile, parse_tile_path

from services.transparency.adapters.witnesses import Witness
from services.transparency.commands import (
    LEAVES_RECORDED,
    BadItem,
    LeafItem,
    LeavesRecorded,
    withdraw_line,
)
from services.transparency.domain import InvalidLeaves, NotFound, Refused
from shared.config import SettingsError
from shared.envelope import Envelope

KINDS = ("open", "sign", "withdraw", "close", "erase")
PETITION_ID = leaves.PETITION_ID
HEX32 = leaves.HEX32
MAX_ITEMS = 100_000  # far more than one transaction of petitions records
MAX_SIZE = 2**63 - 1


def received(routing_key: str, body: Any) -> Envelope:
    envelope = Envelope.from_dict(body)
    if envelope.type != routing_key:
        raise InvalidLeaves(f"an event of type {envelope.type!r} arrived as {routing_key!r}")
    return envelope


def leaves_recorded(envelope: Envelope) -> LeavesRecorded:
    """The event's items; the malformed ones apart (they go to dead letters, one by one)."""
    if envelope.version != 1:
        raise InvalidLeaves(f"{LEAVES_RECORDED} version {envelope.version} is not known")
    found = envelope.payload.get("leaves")
    if not isinstance(found, list) or len(found) > MAX_ITEMS:
        raise InvalidLeaves(f"{LEAVES_RECORDED} must carry a list of leaves")
    items: list[LeafItem] = []
    bad: list[BadItem] = []
    for position, raw in enumerate(found):
        try:
            items.append(leaf_item(position, raw))
        except (InvalidLeaves, VerifyError) as exc:
            bad.append(BadItem(position, raw, str(exc)))
    return LeavesRecorded(envelope.id, items, bad)


def leaf_item(position: int, raw: Any) -> LeafItem:
    if not isinstance(raw, Mapping):
        raise InvalidLeaves("a leaf item must be an object")
    kind, petition_id = raw.get("kind"), raw.get("petition_id")
    if kind not in KINDS:
        raise InvalidLeaves(f"unknown leaf kind {kind!r}")
    if not isinstance(petition_id, str) or not PETITION_ID.fullmatch(petition_id):
        raise InvalidLeaves("petition_id must be 1 to 36 characters of a-z, 0-9 and -")
    if kind == "withdraw":
        return _withdraw(position, petition_id, raw)
    line = raw.get("line")
    if not isinstance(line, str):
        raise InvalidLeaves(f"a {kind} item needs its line")
    leaf = leaves.parse_leaf(line)
    expected = {
        "open": leaves.Open,
        "sign": leaves.Sign,
        "close": leaves.Close,
        "erase": leaves.Erase,
    }[kind]
    if not isinstance(leaf, expected):
        raise InvalidLeaves(f"the line of a {kind} item is not a {kind} leaf")
    if leaf.petition_id != petition_id:
        raise InvalidLeaves("the line names another petition than the item")
    if isinstance(leaf, leaves.Sign):
        commitment = _hex32(raw.get("commitment"), "commitment")
        if leaf.commitment != bytes.fromhex(commitment):
            raise InvalidLeaves("the sign line's commitment is not the item's")
        return LeafItem(position, kind, petition_id, line, commitment=commitment)
    if isinstance(leaf, leaves.Close):
        count = raw.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count != leaf.count:
            raise InvalidLeaves("a close item's count must be its line's count")
        return LeafItem(position, kind, petition_id, line, count=count)
    return LeafItem(position, kind, petition_id, line)


def _withdraw(position: int, petition_id: str, raw: Mapping[str, Any]) -> LeafItem:
    commitment = _hex32(raw.get("commitment"), "commitment")
    secret = raw.get("secret")
    if secret is not None:
        secret = _hex32(secret, "secret")
        if leaves.commitment(petition_id, bytes.fromhex(secret)).hex() != commitment:
            raise InvalidLeaves("the withdrawal's secret does not open its commitment")
    # The line is rendered at integration (it names the sign's index); check it would parse.
    leaves.parse_leaf(withdraw_line(petition_id, 0, secret))
    return LeafItem(position, "withdraw", petition_id, None, commitment=commitment, secret=secret)


def _hex32(value: Any, name: str) -> str:
    if not isinstance(value, str) or not HEX32.fullmatch(value):
        raise InvalidLeaves(f"{name} must be 64 lowercase hexadecimal characters")
    return value


# HTTP parameters


def commitment(value: str) -> str:
    if not HEX32.fullmatch(value):
        raise Refused("invalid_commitment", "a commitment is 64 lowercase hexadecimal characters")
    return value


def petition_id(value: str) -> str:
    if not PETITION_ID.fullmatch(value):
        raise Refused("invalid_petition_id", "a petition id is 1 to 36 of a-z, 0-9 and -")
    return value


def tile(path: str) -> Tile:
    """A tile or entry bundle path under /tlog/ (``tile/...``); a bad one names nothing (404)."""
    try:
        return parse_tile_path(path)
    except VerifyError:
        raise NotFound("no tile has that path") from None


def consistency_sizes(args: Mapping[str, str]) -> tuple[int, int]:
    sizes = []
    for name in ("old", "new"):
        raw = args.get(name, "")
        if not raw.isascii() or not raw.isdigit() or (len(raw) > 1 and raw[0] == "0"):
            raise Refused("invalid_size", f"{name} must be a tree size (a whole number)")
        value = int(raw)
        if value > MAX_SIZE:
            raise Refused("invalid_size", f"{name} is beyond any tree size")
        sizes.append(value)
    old, new = sizes
    if old > new:
        raise Refused("invalid_size", "old must not be more than new")
    return old, new


# TRANSPARENCY_WITNESSES


def witnesses(data: Any) -> tuple[list[Witness], int]:
    """``{quorum: K, witnesses: [{name, url, vkey}]}``: the witnesses and how many must cosign."""
    if not isinstance(data, Mapping):
        raise SettingsError("TRANSPARENCY_WITNESSES must hold a mapping with quorum and witnesses")
    raw = data.get("witnesses") or []
    if not isinstance(raw, list):
        raise SettingsError("TRANSPARENCY_WITNESSES: witnesses must be a list")
    found: list[Witness] = []
    for position, entry in enumerate(raw):
        if not isinstance(entry, Mapping) or not all(
            isinstance(entry.get(k), str) and entry.get(k) for k in ("name", "url", "vkey")
        ):
            raise SettingsError(f"TRANSPARENCY_WITNESSES: witness {position} needs name, url, vkey")
        try:
            verifier = Verifier(entry["vkey"].strip())
        except VerifyError as exc:
            raise SettingsError(f"TRANSPARENCY_WITNESSES: witness {entry['name']}: {exc}") from None
        if verifier.name != entry["name"]:
            raise SettingsError(
                f"TRANSPARENCY_WITNESSES: witness {entry['name']}'s key is named {verifier.name}"
            )
        if not entry["url"].startswith(("http://", "https://")):
            raise SettingsError(f"TRANSPARENCY_WITNESSES: witness {entry['name']}: url is not HTTP")
        found.append(Witness(entry["name"], entry["url"], verifier))
    if len({w.name for w in found}) != len(found):
        raise SettingsError("TRANSPARENCY_WITNESSES: two witnesses have the same name")
    quorum = data.get("quorum", len(found))
    if not isinstance(quorum, int) or isinstance(quorum, bool) or not 0 <= quorum <= len(found):
        raise SettingsError(
            f"TRANSPARENCY_WITNESSES: quorum must be a whole number from 0 to {len(found)}"
        )
    return found, quorum
