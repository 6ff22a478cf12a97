"""What the hub-verify commands check: a receipt, a petition's recount, a log's history.

Each function returns a report (a list of named checks and anomalies) and raises only
VerifyError (a check that cannot even start, e.g. a malformed file) or fetch.Unavailable.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hub_verify import merkle
from hub_verify.checkpoint import Checkpoint, parse_checkpoint
from hub_verify.errors import MalformedError, VerifyError
from hub_verify.fetch import NotFound, Remote, Unavailable
from hub_verify.leaves import Sign, commitment, parse_leaf
from hub_verify.note import parse_note
from hub_verify.policy import Policy
from hub_verify.proof import parse_proof, verify_proof
from hub_verify.recount import Anomaly, Recount, recount
from hub_verify.tiles import TILE_WIDTH, Tile, decode_bundle, tile_hash_reader


@dataclass
class Report:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append((name, ok, detail))
        return ok

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.checks) and not self.anomalies

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in self.checks],
            **self.facts,
            "anomalies": [a.__dict__ for a in self.anomalies],
        }


def hex32(text: str, what: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        value = b""
    if len(value) != 32 or len(text) != 64:
        raise MalformedError(f"{what}: 64 hexadecimal characters expected")
    return value


# -- receipt (offline) ---------------------------------------------------------------------------


def check_receipt(
    data: bytes, policy: Policy, secret: bytes | None = None, expected: bytes | None = None
) -> Report:
    """A .tlog-proof: its sign leaf (in `extra`), inclusion, the log's signature, the quorum."""
    report = Report()
    proof = parse_proof(data)
    if proof.extra is None:
        raise MalformedError("receipt: no 'extra' line (the hub puts the sign leaf there)")
    leaf = parse_leaf(proof.extra)
    if not isinstance(leaf, Sign):
        raise MalformedError("receipt: the leaf in 'extra' is not a sign leaf")
    report.facts.update(
        petition_id=leaf.petition_id,
        index=proof.index,
        leaf=proof.extra.decode("ascii"),
        commitment=leaf.commitment.hex(),
    )
    report.check("leaf", True, f"sign leaf of petition {leaf.petition_id} at index {proof.index}")
    try:
        checkpoint = verify_proof(proof, proof.extra, policy)
    except VerifyError as error:
        report.check("inclusion and signatures", False, str(error))
        return report
    report.facts.update(origin=checkpoint.origin, size=checkpoint.size)
    report.check(
        "inclusion and signatures",
        True,
        f"included in {checkpoint.origin} of size {checkpoint.size}, signed as the policy requires",
    )
    if secret is not None:
        mine = commitment(leaf.petition_id, secret) == leaf.commitment
        report.check(
            "secret",
            mine,
            "the receipt secret opens the leaf's commitment"
            if mine
            else "the receipt secret does NOT open the leaf's commitment",
        )
    if expected is not None:
        same = expected == leaf.commitment
        report.check(
            "commitment",
            same,
            "the leaf carries this commitment" if same else "the leaf carries another commitment",
        )
    return report


# -- a verified checkpoint and tiles -------------------------------------------------------------


def latest_checkpoint(remote: Remote, policy: Policy) -> tuple[bytes, Checkpoint]:
    note = remote.get("checkpoint")
    return note, policy.check(note)


def tile_fetcher(remote: Remote) -> Callable[[Tile], bytes]:
    return lambda tile: remote.get(tile.path())


def verified_entries(
    remote: Remote, checkpoint: Checkpoint, start: int, end: int
) -> list[tuple[int, bytes]]:
    """Entries start..end (inclusive), each bundle's leaf hashes checked against the hash tiles,
    themselves checked up to the checkpoint's root."""
    fetch = tile_fetcher(remote)
    read = tile_hash_reader(checkpoint.size, checkpoint.root, fetch)
    out: list[tuple[int, bytes]] = []
    for bundle in range(start // TILE_WIDTH, end // TILE_WIDTH + 1):
        first = bundle * TILE_WIDTH
        width = min(TILE_WIDTH, checkpoint.size - first)
        entries = decode_bundle(fetch(Tile(-1, bundle, width)))
        if len(entries) != width:
            raise MalformedError(f"entry bundle {bundle}: {len(entries)} entries, {width} expected")
        hashes = read([merkle.stored_hash_index(0, first + i) for i in range(width)])
        for i, (entry, tile_hash) in enumerate(zip(entries, hashes, strict=True)):
            if merkle.leaf_hash(entry) != tile_hash:
                raise MalformedError(
                    f"entry {first + i} does not match its hash in the log's tiles (tampered?)"
                )
            if start <= first + i <= end:
                out.append((first + i, entry))
    return out


# -- recount (online) ----------------------------------------------------------------------------


def recount_petition(
    remote: Remote, policy: Policy, petition_id: str, api: Remote | None = None
) -> tuple[Report, Recount | None]:
    report = Report()
    note, checkpoint = latest_checkpoint(remote, policy)
    report.facts.update(origin=checkpoint.origin, size=checkpoint.size, petition_id=petition_id)
    report.check("checkpoint", True, f"{checkpoint.origin} size {checkpoint.size}, signed")
    try:
        hint = remote.get_json(f"api/v1/petitions/{petition_id}")
    except NotFound:
        report.check("window", False, "the log knows no open leaf for this petition")
        return report, None
    open_index, close_index = _index(hint, "open_index"), _index(hint, "close_index")
    if open_index is None or open_index >= checkpoint.size:
        report.check("window", False, f"the log's open index {open_index} is not in the tree")
        return report, None
    end = checkpoint.size - 1 if close_index is None else close_index
    if end >= checkpoint.size or end < open_index:
        report.check("window", False, f"the log's close index {close_index} is not usable")
        return report, None
    try:
        entries = verified_entries(remote, checkpoint, open_index, end)
    except VerifyError as error:
        report.check("tiles", False, str(error))
        return report, None
    report.check("tiles", True, f"entries {open_index}..{end} match the tiles and the root")
    result = recount(entries, petition_id)
    report.anomalies.extend(result.anomalies)
    report.check(
        "open", result.open_index == open_index, f"entry {open_index} is this petition's open leaf"
    )
    if close_index is not None:
        report.check(
            "close",
            result.close_index == close_index,
            f"entry {close_index} is this petition's close leaf",
        )
    _compare(report, "the log's helper", hint.get("count"), result.count)
    if api is not None:
        published = api.get_json(f"api/petitions/{petition_id}").get("signature_count")
        _compare(report, "the petitions API", published, result.count)
    report.facts.update(result.as_json())
    return report, result


def _index(hint: dict[str, object], key: str) -> int | None:
    value = hint.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise MalformedError(f"the log's petition helper: {key} is not an index")
    return value


def _compare(report: Report, source: str, published: object, counted: int) -> None:
    same = published == counted
    report.check(f"count vs {source}", same, f"{source} says {published}, the recount {counted}")


# -- monitor -------------------------------------------------------------------------------------


def monitor(remote: Remote, policy: Policy, state_dir: Path) -> Report:
    """Check the log's new checkpoint is consistent with the last one this monitor verified."""
    report = Report()
    state_dir.mkdir(parents=True, exist_ok=True)
    note, new = latest_checkpoint(remote, policy)
    report.facts.update(origin=new.origin, size=new.size, root=base64.b64encode(new.root).decode())
    report.check("checkpoint", True, f"{new.origin} size {new.size}, signed as required")
    latest = state_dir / "checkpoint"
    if not latest.exists():
        _write_atomically(latest, note)
        report.check("consistency", True, "first checkpoint seen: kept as the starting point")
        return report
    old_note = latest.read_bytes()
    old = parse_checkpoint(parse_note(old_note).text)
    report.facts.update(previous_size=old.size)
    problem = _inconsistency(remote, old, new)
    if problem is not None:
        evidence = _keep_evidence(state_dir, old_note, note, problem)
        report.facts.update(evidence=str(evidence))
        report.check("consistency", False, f"{problem}; evidence kept in {evidence}")
        return report
    if new.size > old.size:
        _write_atomically(latest, note)
    report.check("consistency", True, f"size {old.size} -> {new.size}: the log only grew")
    return report


def _inconsistency(remote: Remote, old: Checkpoint, new: Checkpoint) -> str | None:
    if old.origin != new.origin:
        return f"the log's origin changed from {old.origin!r} to {new.origin!r}"
    if new.size < old.size:
        return f"the log shrank from {old.size} to {new.size} (a rollback or a fork)"
    if new.size == old.size:
        return None if new.root == old.root else f"two roots for size {new.size}: a fork"
    try:
        body = remote.get(f"api/v1/proof/consistency?old={old.size}&new={new.size}")
        proof = [_b64_hash(line) for line in body.split(b"\n") if line]
        merkle.verify_consistency(old.size, new.size, proof, old.root, new.root)
        return None
    except (Unavailable, VerifyError):
        pass  # the helper is a convenience: the tiles decide
    read = tile_hash_reader(new.size, new.root, tile_fetcher(remote))
    try:
        proof = merkle.prove_consistency(new.size, old.size, read)
        merkle.verify_consistency(old.size, new.size, proof, old.root, new.root)
    except VerifyError as error:
        return f"size {old.size} is not a prefix of size {new.size} (a fork): {error}"
    return None


def _b64_hash(line: bytes) -> bytes:
    try:
        value = base64.b64decode(line, validate=True)
    except binascii.Error:
        raise MalformedError("consistency proof: a line is not base64") from None
    if len(value) != 32:
        raise MalformedError("consistency proof: a line is not a 32-byte hash")
    return value


def _keep_evidence(state_dir: Path, old_note: bytes, new_note: bytes, problem: str) -> Path:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    folder = state_dir / "evidence" / stamp
    folder.mkdir(parents=True)
    (folder / "previous.checkpoint").write_bytes(old_note)
    (folder / "new.checkpoint").write_bytes(new_note)
    (folder / "problem.txt").write_text(problem + "\n", encoding="utf-8")
    return folder


def _write_atomically(path: Path, data: bytes) -> None:
    """Write then rename, fsynced: a crash leaves the old file or the new one, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
