"""`hub-verify witness serve`: C2SP tlog-witness add-checkpoint, run as a real process over HTTP."""
# ruff: noqa: S310, S603 (local test servers and our own CLI)

from __future__ import annotations

import base64
import hashlib
import os
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hub_verify import merkle
from hub_verify.checkpoint import Checkpoint
from hub_verify.errors import MalformedError, SignatureError
from hub_verify.note import Signer, Verifier, add_signatures, generate_key, sign_note, verify_note
from hub_verify.witness import (
    SIZE_CONTENT_TYPE,
    WitnessConflict,
    format_add_checkpoint,
    parse_add_checkpoint,
    parse_cosignature_response,
    request_cosignature,
)

ORIGIN = "example.org/tlog"


class Tree:
    """A log in memory: its leaves, and checkpoints signed by its key."""

    def __init__(self, skey: str, origin: str = ORIGIN) -> None:
        self.signer = Signer(skey)
        self.origin = origin
        self.hashes: list[bytes] = []

    def grow(self, n: int, tag: bytes = b"") -> None:
        for _ in range(n):
            self.hashes.append(merkle.leaf_hash(b"leaf %d%s" % (len(self.hashes), tag)))

    def note(self, size: int | None = None, root: bytes | None = None) -> bytes:
        size = len(self.hashes) if size is None else size
        root = merkle.root(self.hashes[:size]) if root is None else root
        return sign_note(Checkpoint(self.origin, size, root).text(), self.signer)

    def proof(self, old: int, new: int | None = None) -> list[bytes]:
        new = len(self.hashes) if new is None else new
        return merkle.consistency_proof(old, self.hashes[:new]) if old else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub_verify.cli", *args],
        capture_output=True,
        text=True,
        timeout=30,
        **kwargs,
    )


@pytest.fixture(scope="module")
def log_key() -> tuple[str, str]:
    return generate_key(ORIGIN)


@pytest.fixture
def witness(tmp_path: Path, log_key):
    """A `hub-verify witness serve` process: (url, its verifier, state dir, process)."""
    key_file = tmp_path / "witness.key"
    made = run_cli("witness", "keygen", "witness.example.net/w1", "--out", str(key_file))
    assert made.returncode == 0, made.stderr
    vkey = made.stdout.strip()
    port = free_port()
    state = tmp_path / "state"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub_verify.cli",
            "witness",
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            "--key",
            str(key_file),
            "--log",
            log_key[1],
            "--state",
            str(state),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_listening(port, process)
    yield url, Verifier(vkey), state, process
    process.terminate()
    process.wait(timeout=10)


def _wait_listening(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"witness exited: {process.stderr.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("witness did not start")


def post(url: str, body: bytes) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url + "/add-checkpoint", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read(), answer.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"]


def test_keygen_writes_a_private_key_file_and_prints_the_cosigner_vkey(tmp_path):
    out = tmp_path / "k"
    made = run_cli("witness", "keygen", "w.example/x", "--out", str(out))
    assert made.returncode == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert out.read_text().startswith("PRIVATE+KEY+w.example/x+")
    assert Verifier(made.stdout.strip()).type == 0x04  # cosignature/v1
    again = run_cli("witness", "keygen", "w.example/x", "--out", str(out))
    assert (
        again.returncode == 2
        and "cannot create" in again.stderr
        and "Traceback" not in again.stderr
    )


def test_first_checkpoint_is_cosigned_and_the_next_needs_a_consistency_proof(witness, log_key):
    url, wv, _, _ = witness
    tree = Tree(log_key[0])
    tree.grow(5)
    first = tree.note()
    status, body, _ = post(url, format_add_checkpoint(0, [], first))
    assert status == 200
    sigs = parse_cosignature_response(body, first, wv)
    verify_note(add_signatures(first, sigs), [wv])
    tree.grow(300)
    status, body, _ = post(url, format_add_checkpoint(5, tree.proof(5), tree.note()))
    assert status == 200, body
    # The same tree again: cosigned again (a fresh timestamp), state unchanged.
    status, _, _ = post(url, format_add_checkpoint(305, [], tree.note()))
    assert status == 200


def test_client_request_cosignature_and_409_with_the_witness_size(witness, log_key):
    url, wv, _, _ = witness
    tree = Tree(log_key[0])
    tree.grow(3)
    assert request_cosignature(url, 0, [], tree.note(), wv)
    tree.grow(2)
    status, body, content_type = post(url, format_add_checkpoint(0, [], tree.note()))
    assert (status, body, content_type) == (409, b"3\n", SIZE_CONTENT_TYPE)
    with pytest.raises(WitnessConflict) as conflict:
        request_cosignature(url, 1, tree.proof(1), tree.note(), wv)
    assert conflict.value.size == 3


def test_unknown_origin_404_untrusted_signature_403(witness, log_key):
    url, _, _, _ = witness
    other = Tree(generate_key("other.example/log")[0], origin="other.example/log")
    other.grow(1)
    assert post(url, format_add_checkpoint(0, [], other.note()))[0] == 404
    impostor = Tree(generate_key(ORIGIN)[0])  # same origin, a key the witness does not trust
    impostor.grow(1)
    assert post(url, format_add_checkpoint(0, [], impostor.note()))[0] == 403


def test_old_size_larger_than_the_checkpoint_is_400(witness, log_key):
    url, _, _, _ = witness
    tree = Tree(log_key[0])
    tree.grow(2)
    assert post(url, format_add_checkpoint(3, [bytes(32)], tree.note()))[0] == 400


def test_bad_proof_422_and_fork_at_same_size_409_are_kept_as_evidence(witness, log_key):
    url, _, state, _ = witness
    tree = Tree(log_key[0])
    tree.grow(4)
    assert post(url, format_add_checkpoint(0, [], tree.note()))[0] == 200
    fork = Tree(log_key[0])
    fork.grow(4, tag=b"forked")
    fork.grow(4)
    status, _, _ = post(url, format_add_checkpoint(4, fork.proof(4), fork.note()))
    assert status == 422
    status, body, _ = post(url, format_add_checkpoint(4, [], fork.note(size=4)))
    assert status == 409 and b"fork" in body
    # The witness did not move: the honest tree still extends what it cosigned.
    tree.grow(4)
    assert post(url, format_add_checkpoint(4, tree.proof(4), tree.note()))[0] == 200
    from hub_verify.witness import WitnessState

    assert [e[1] for e in WitnessState(state / "witness.sqlite").evidence()] == [422, 409]


def test_size_zero_needs_the_empty_root_and_an_empty_proof(witness, log_key):
    url, _, _, _ = witness
    tree = Tree(log_key[0])
    assert post(url, format_add_checkpoint(0, [], tree.note(0, bytes(32))))[0] == 422
    assert post(url, format_add_checkpoint(0, [], tree.note(0)))[0] == 200
    tree.grow(2)
    assert post(url, format_add_checkpoint(0, [bytes(32)], tree.note()))[0] == 422


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"garbage",
        b"old 1\n\n",
        b"old 01\n\nx",
        b"old -1\n\nx",
        b"old 0\nnot base64!\n\n",
        b"old 0\n" + base64.b64encode(b"short") + b"\n\n",
        b"\xff\xfe\n\n\x00",
    ],
)
def test_garbage_bodies_are_400(witness, body):
    url, _, _, _ = witness
    assert post(url, body)[0] == 400


def test_a_race_of_two_add_checkpoints_from_the_same_size_has_one_winner(witness, log_key):
    url, _, _, _ = witness
    tree = Tree(log_key[0])
    tree.grow(10)
    assert post(url, format_add_checkpoint(0, [], tree.note()))[0] == 200
    a, b = Tree(log_key[0]), Tree(log_key[0])
    a.hashes, b.hashes = list(tree.hashes), list(tree.hashes)
    a.grow(5, tag=b"a")
    b.grow(7, tag=b"b")
    bodies = [format_add_checkpoint(10, t.proof(10), t.note()) for t in (a, b)] * 4
    results: list[int] = []
    barrier = threading.Barrier(len(bodies))

    def send(body: bytes) -> None:
        barrier.wait()
        results.append(post(url, body)[0])

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # One wins; every other request's old size (10) is no longer the witness's: 409.
    assert sorted(results) == [200] + [409] * (len(bodies) - 1)
    latest = post(url, format_add_checkpoint(0, [], a.note()))
    assert latest[0] == 409 and int(latest[1]) in {15, 17}


def test_monitoring_get_serves_the_latest_cosigned_checkpoint(witness, log_key):
    url, wv, _, _ = witness
    tree = Tree(log_key[0])
    tree.grow(3)
    post(url, format_add_checkpoint(0, [], tree.note()))
    origin_hash = hashlib.sha256(ORIGIN.encode()).hexdigest()
    with urllib.request.urlopen(f"{url}/{origin_hash}/checkpoint", timeout=5) as answer:
        cosigned = answer.read()
    _, verified = verify_note(cosigned, [wv, Verifier(log_key[1])])
    assert len(verified) == 2
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{url}/{'0' * 64}/checkpoint", timeout=5)
    assert missing.value.code == 404


def test_the_state_survives_a_restart(tmp_path, log_key):
    key_file = tmp_path / "k"
    assert run_cli("witness", "keygen", "w.example/r", "--out", str(key_file)).returncode == 0
    tree = Tree(log_key[0])
    tree.grow(4)
    for expected in (200, 409):
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hub_verify.cli",
                "witness",
                "serve",
                "--listen",
                f"127.0.0.1:{port}",
                "--key",
                str(key_file),
                "--log",
                log_key[1],
                "--state",
                str(tmp_path / "s"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_listening(port, process)
            assert (
                post(f"http://127.0.0.1:{port}", format_add_checkpoint(0, [], tree.note()))[0]
                == expected
            )
        finally:
            process.terminate()
            process.wait(timeout=10)
        tree.grow(1)


def test_serve_refuses_a_missing_key_file_readably(tmp_path, log_key):
    done = run_cli(
        "witness",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--key",
        str(tmp_path / "none"),
        "--log",
        log_key[1],
        "--state",
        str(tmp_path / "s"),
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_wire_format_round_trip_and_limits():
    proof = [bytes([i]) * 32 for i in range(3)]
    body = format_add_checkpoint(7, proof, b"note\n\n- x y\n")
    assert parse_add_checkpoint(body) == (7, proof, b"note\n\n- x y\n")
    with pytest.raises(MalformedError):
        format_add_checkpoint(1, [bytes(32)] * 64, b"")
    with pytest.raises(MalformedError):
        parse_add_checkpoint(b"old 1\n" + (base64.b64encode(bytes(32)) + b"\n") * 64 + b"\nx")


def test_cosignature_response_from_another_key_is_refused(log_key):
    tree = Tree(log_key[0])
    tree.grow(1)
    note = tree.note()
    from hub_verify.note import cosign, cosigner_key

    skey, _ = cosigner_key("w.example/a")
    _, other_vkey = cosigner_key("w.example/a")
    line = cosign(Checkpoint(ORIGIN, 1, merkle.root(tree.hashes)).text(), skey, 1).line().encode()
    with pytest.raises(SignatureError):
        parse_cosignature_response(line, note, Verifier(other_vkey))
    with pytest.raises(MalformedError):
        parse_cosignature_response(b"hello\n", note, Verifier(other_vkey))
