"""hub-verify receipt / recount / monitor against a real HTTP server serving a log built here."""
# ruff: noqa: S603 (our own CLI and python -m http.server)

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hub_verify import merkle, tiles
from hub_verify import proof as proofs
from hub_verify.checkpoint import Checkpoint
from hub_verify.cli import main
from hub_verify.leaves import Close, Open, Sign, Withdraw, commitment, key_commit, nullifier
from hub_verify.note import Signer, generate_key, sign_note

ORIGIN = "127.0.0.1:8005/tlog"
P = "3f2b1c9d-8e7f-4d2a-9a53-0b7e7c4e1c55"
OTHER = "0d5a3b2c-1e4f-4a6b-8c7d-9e0f1a2b3c4d"
KEY = bytes([7]) * 32


def secret(n: int) -> bytes:
    return bytes([n]) * 32


class Log:
    """A tiled log written as static files, served by `python -m http.server`."""

    def __init__(self, root: Path, skey: str, vkey: str) -> None:
        self.dir = root
        self.signer, self.vkey = Signer(skey), vkey
        self.entries: list[bytes] = []
        self.stored: list[bytes] = []

    def add(self, leaf) -> int:
        entry = leaf.line().encode()
        n = len(self.entries)
        self.stored += merkle.stored_hashes_for_leaf(n, merkle.leaf_hash(entry), self.read)
        self.entries.append(entry)
        return n

    def read(self, indexes: list[int]) -> list[bytes]:
        return [self.stored[i] for i in indexes]

    def sign(self, who: str, n: int, petition: str = P) -> int:
        return self.add(Sign(petition, nullifier(KEY, who), commitment(petition, secret(n))))

    def publish(self, helper: dict | None = None, api_count: int | None = None) -> bytes:
        size = len(self.entries)
        for tile in tiles.tiles_for_size(size):
            self.write(tile.path(), tiles.tile_data(tile, self.read))
        for bundle in range(0, (size + 255) // 256):
            chunk = self.entries[bundle * 256 : bundle * 256 + 256]
            self.write(tiles.Tile(-1, bundle, len(chunk)).path(), tiles.encode_bundle(chunk))
        root = merkle.tree_root(size, self.read)
        note = sign_note(Checkpoint(ORIGIN, size, root).text(), self.signer)
        self.write("checkpoint", note)
        self.write("vkey", self.vkey.encode() + b"\n")
        if helper is not None:
            self.write(f"api/v1/petitions/{P}", json.dumps(helper).encode())
        if api_count is not None:
            self.write(
                f"api-site/api/petitions/{P}", json.dumps({"signature_count": api_count}).encode()
            )
        return note

    def receipt(self, index: int) -> bytes:
        size = len(self.entries)
        note = (self.dir / "checkpoint").read_bytes()
        proof = proofs.TlogProof(
            index, merkle.prove_inclusion(size, index, self.read), note, self.entries[index]
        )
        return proofs.format_proof(proof)

    def write(self, path: str, data: bytes) -> None:
        target = self.dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_key(ORIGIN)


@pytest.fixture
def served(tmp_path: Path):
    """A static HTTP server over tmp_path/www: (base URL of the log, base URL of the site)."""
    www = tmp_path / "www"
    www.mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(www),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "http.server did not start"
            time.sleep(0.05)
    yield www, f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


def petition_log(www: Path, keys, signers: int = 3, filler: int = 0) -> tuple[Log, dict]:
    log = Log(www, *keys)
    for i in range(filler):  # other petitions' leaves before, so the window spans bundles
        log.sign(f"other{i}", 200, petition=OTHER)
    open_index = log.add(Open(P, bytes(32), key_commit(KEY), {"resign": "1"}))
    for i in range(signers):
        log.sign(f"citizen{i}", i + 1)
    return log, {"open_index": open_index, "close_index": None, "count": signers}


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- receipt -------------------------------------------------------------------------------------


def test_receipt_holds_with_the_right_secret_and_fails_with_another(served, keys, capsys, tmp_path):
    www, _ = served
    log, _ = petition_log(www, keys)
    log.publish()
    receipt = tmp_path / "r.tlog-proof"
    receipt.write_bytes(log.receipt(2))  # citizen1's sign, secret 2
    code, out, _ = run(
        capsys, "receipt", str(receipt), "--vkey", keys[1], "--secret", secret(2).hex()
    )
    assert code == 0, out
    code, out, _ = run(
        capsys, "receipt", str(receipt), "--vkey", keys[1], "--json", "--secret", secret(3).hex()
    )
    report = json.loads(out)
    assert code == 1 and not report["ok"] and report["petition_id"] == P
    code, _, _ = run(
        capsys,
        "receipt",
        str(receipt),
        "--vkey",
        keys[1],
        "--commitment",
        commitment(P, secret(2)).hex(),
    )
    assert code == 0


def test_receipt_with_a_flipped_bit_or_another_key_fails(served, keys, capsys, tmp_path):
    www, _ = served
    log, _ = petition_log(www, keys)
    log.publish()
    good = log.receipt(1)
    receipt = tmp_path / "r"
    lines = good.split(b"\n")
    hash_line = next(i for i, line in enumerate(lines) if line and i > 2 and len(line) == 44)
    lines[hash_line] = (b"A" if lines[hash_line][:1] != b"A" else b"B") + lines[hash_line][1:]
    receipt.write_bytes(b"\n".join(lines))
    assert run(capsys, "receipt", str(receipt), "--vkey", keys[1])[0] == 1
    receipt.write_bytes(good)
    assert run(capsys, "receipt", str(receipt), "--vkey", generate_key(ORIGIN)[1])[0] == 1


def test_receipt_usage_errors_are_readable(capsys, tmp_path):
    code, _, err = run(capsys, "receipt", str(tmp_path / "missing"), "--vkey", "x")
    assert code == 2 and "cannot read" in err
    garbage = tmp_path / "g"
    garbage.write_bytes(b"not a proof")
    code, _, err = run(capsys, "receipt", str(garbage), "--vkey", generate_key("a.example/l")[1])
    assert code == 1 and "check failed" in err
    code, _, err = run(capsys, "receipt", str(garbage))
    assert code == 2 and "--vkey" in err


# -- recount -------------------------------------------------------------------------------------


def test_recount_of_a_clean_closed_petition_matches_close_helper_and_api(served, keys, capsys):
    www, url = served
    log, helper = petition_log(www, keys, signers=5, filler=300)
    w = log.sign("late", 9)
    log.add(Withdraw(P, w, secret(9)))
    close = log.add(Close(P, 5, bytes(32)))
    log.sign("x", 1, petition=OTHER)
    log.publish({**helper, "close_index": close, "count": 5}, api_count=5)
    code, out, _ = run(
        capsys, "recount", P, "--log", url, "--vkey", keys[1], "--api", f"{url}/api-site", "--json"
    )
    report = json.loads(out)
    assert code == 0, report
    assert (report["count"], report["citizen_withdrawals"], report["close_count"]) == (5, 1, 5)


def test_recount_reports_a_forged_withdrawal_and_a_duplicate_nullifier(served, keys, capsys):
    www, url = served
    log, helper = petition_log(www, keys, signers=3)
    log.add(Withdraw(P, helper["open_index"] + 1, secret(99)))  # wrong secret
    log.sign("citizen2", 50)  # citizen2 signs again while still active
    close = log.add(Close(P, 4, bytes(32)))  # the operator counted both
    log.publish({**helper, "close_index": close, "count": 4}, api_count=4)
    code, out, _ = run(
        capsys, "recount", P, "--log", url, "--vkey", keys[1], "--api", f"{url}/api-site"
    )
    assert code == 1
    assert "bad_withdrawal" in out and "duplicate_nullifier" in out and "close_mismatch" in out


def test_recount_detects_a_tampered_tile(served, keys, capsys):
    www, url = served
    log, helper = petition_log(www, keys, signers=4)
    log.publish(helper)
    tile = www / "tile/0/000.p/5"
    data = bytearray(tile.read_bytes())
    data[40] ^= 1
    tile.write_bytes(bytes(data))
    code, out, _ = run(capsys, "recount", P, "--log", url, "--vkey", keys[1])
    assert code == 1 and "FAIL" in out


def test_recount_detects_a_tampered_entry_bundle(served, keys, capsys):
    www, url = served
    log, helper = petition_log(www, keys, signers=2)
    log.publish(helper)
    log.entries[2] = Sign(P, nullifier(KEY, "ghost"), commitment(P, secret(42))).line().encode()
    log.write("tile/entries/000.p/3", tiles.encode_bundle(log.entries))
    assert run(capsys, "recount", P, "--log", url, "--vkey", keys[1])[0] == 1


def test_recount_compares_with_the_petitions_api(served, keys, capsys):
    www, url = served
    log, helper = petition_log(www, keys, signers=2)
    log.publish(helper, api_count=3)
    code, out, _ = run(
        capsys, "recount", P, "--log", url, "--vkey", keys[1], "--api", f"{url}/api-site"
    )
    assert code == 1 and "the petitions API says 3" in out


def test_recount_checks_the_helpers_open_index(served, keys, capsys):
    www, url = served
    log, helper = petition_log(www, keys, signers=2)
    log.publish({**helper, "open_index": helper["open_index"] + 1})
    assert run(capsys, "recount", P, "--log", url, "--vkey", keys[1])[0] == 1


def test_recount_without_a_key_trusts_the_log_with_a_warning(served, keys, capsys):
    www, url = served
    log, helper = petition_log(www, keys, signers=1)
    log.publish(helper)
    code, _, err = run(capsys, "recount", P, "--log", url)
    assert code == 0 and "warning" in err


def test_unreachable_log_is_exit_3_without_a_traceback(keys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub_verify.cli",
            "recount",
            P,
            "--log",
            f"http://127.0.0.1:{port}",
            "--vkey",
            keys[1],
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3 and "unavailable" in done.stderr
    assert "Traceback" not in done.stderr


# -- monitor -------------------------------------------------------------------------------------


def test_monitor_accepts_growth_and_keeps_evidence_of_a_fork(served, keys, capsys, tmp_path):
    www, url = served
    state = tmp_path / "state"
    log, _ = petition_log(www, keys, signers=3)
    log.publish()
    args = ("monitor", "--log", url, "--state", str(state), "--vkey", keys[1])
    assert run(capsys, *args)[0] == 0
    for i in range(300):
        log.sign(f"more{i}", 7)
    log.publish()
    assert run(capsys, *args)[0] == 0  # no consistency helper here: proven from the tiles
    # A fork: the same history but for one entry, larger, signed by the same key.
    fork, _ = petition_log(www, keys, signers=3)
    fork.entries.clear(), fork.stored.clear()
    for n, entry in enumerate(log.entries):
        line = entry if n != 1 else Sign(P, nullifier(KEY, "ghost"), bytes(32)).line().encode()
        fork.stored += merkle.stored_hashes_for_leaf(n, merkle.leaf_hash(line), fork.read)
        fork.entries.append(line)
    fork.sign("extra", 8)
    fork.publish()
    code, out, _ = run(capsys, *args, "--json")
    report = json.loads(out)
    assert code == 1 and "fork" in json.dumps(report["checks"])
    evidence = Path(report["evidence"])
    assert (evidence / "previous.checkpoint").exists() and (evidence / "new.checkpoint").exists()
    assert run(capsys, *args)[0] == 1  # and it stays reported


def test_monitor_uses_the_logs_consistency_helper_and_reports_a_rollback(
    served, keys, capsys, tmp_path
):
    www, url = served
    state = tmp_path / "state"
    log, _ = petition_log(www, keys, signers=3)
    small = log.publish()
    old_size = len(log.entries)
    args = ("monitor", "--log", url, "--state", str(state), "--vkey", keys[1])
    assert run(capsys, *args)[0] == 0
    log.sign("more", 7)
    log.publish()
    proof = merkle.consistency_proof(old_size, [merkle.leaf_hash(e) for e in log.entries])
    import base64

    log.write("api/v1/proof/consistency", b"".join(base64.b64encode(h) + b"\n" for h in proof))
    assert run(capsys, *args)[0] == 0
    log.write("checkpoint", small)  # the log serves an older checkpoint: a rollback
    code, out, _ = run(capsys, *args)
    assert code == 1 and "shrank" in out
