"""Witnesses: two real `hub-verify witness serve` processes; the log publishes only with the
quorum's cosignatures, and a witness answering garbage or cosigning a fork counts for nothing."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from hub_verify import note as notes
from hub_verify.checkpoint import Checkpoint, parse_checkpoint

from shared.envelope import Envelope
from shared.testing import BaseUrlSession, free_port

from .support import Petition, eventually, leaves_event

HUB_VERIFY = str(Path(sys.executable).parent / "hub-verify")


@dataclasses.dataclass
class WitnessProcess:
    name: str
    url: str
    vkey: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def log_key(log_settings: Any, tmp_path: Path) -> tuple[Path, str]:
    skey, vkey = notes.generate_key(log_settings.log_origin)
    path = tmp_path / "log-signing-key"
    path.write_text(skey + "\n")
    path.chmod(0o600)
    return path, vkey


@pytest.fixture
def witness_factory(log_key: tuple[Path, str], tmp_path: Path) -> Iterator[Callable[..., Any]]:
    started: list[WitnessProcess] = []

    def start(name: str) -> WitnessProcess:
        key = tmp_path / f"{name}.key"
        made = subprocess.run(  # noqa: S603 - our own CLI
            [HUB_VERIFY, "witness", "keygen", name, "--out", str(key)],
            capture_output=True,
            text=True,
            check=True,
        )
        vkey = made.stdout.strip().splitlines()[-1]
        port = free_port()
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [
                HUB_VERIFY,
                "witness",
                "serve",
                "--listen",
                f"127.0.0.1:{port}",
                "--key",
                str(key),
                "--log",
                log_key[1],
                "--state",
                str(tmp_path / f"{name}-state"),
            ]
        )
        witness = WitnessProcess(name, f"http://127.0.0.1:{port}", vkey, process)
        started.append(witness)
        _wait_listening(port)
        return witness

    yield start
    for witness in started:
        witness.stop()


def _wait_listening(port: int) -> None:
    import socket

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("the witness did not start")


def _config(tmp_path: Path, quorum: int, witnesses: list[Any]) -> Path:
    path = tmp_path / f"witnesses-{quorum}-{len(witnesses)}-{time.monotonic_ns()}.yaml"
    entries = [{"name": w.name, "url": w.url, "vkey": w.vkey} for w in witnesses]
    path.write_text(yaml.safe_dump({"quorum": quorum, "witnesses": entries}))
    return path


def _published_size(log_db: sa.Engine) -> Any:
    with log_db.connect() as conn:
        return conn.execute(sa.text("SELECT size, published_size FROM log_state")).one()


def _cosigned(client: BaseUrlSession, log_vkey: str, witnesses: list[Any], size: int) -> Any:
    verifiers = [notes.Verifier(log_vkey), *(notes.Verifier(w.vkey) for w in witnesses)]

    def check() -> Any:
        response = client.get("/checkpoint")
        if response.status_code != 200:
            return None
        note, verified = notes.verify_note(response.content, verifiers)
        found = parse_checkpoint(note.text)
        return (found, verified) if found.size >= size else None

    return eventually(check, what=f"a cosigned checkpoint of size {size}")


def test_quorum_of_two_then_one_witness_down_then_quorum_of_one(
    start_transparency: Callable[..., Any],
    witness_factory: Callable[..., Any],
    log_key: tuple[Path, str],
    publish: Callable[[Envelope], None],
    client: BaseUrlSession,
    log_db: Any,
    tmp_path: Path,
) -> None:
    first, second = witness_factory("w1.example.org"), witness_factory("w2.example.org")
    both = _config(tmp_path, 2, [first, second])
    container = start_transparency(transparency_signing_key=log_key[0], transparency_witnesses=both)
    petition = Petition()
    publish(leaves_event([petition.open(), petition.sign(), petition.sign()]))
    checkpoint, verified = _cosigned(client, log_key[1], [first, second], 3)
    assert len(verified) == 3  # the log and both witnesses
    second.stop()
    publish(leaves_event([petition.sign()]))
    eventually(lambda: _published_size(log_db).size == 4, what="integration")
    time.sleep(2.5)  # rounds go on; none may publish without the quorum
    assert _published_size(log_db).published_size == 3
    assert parse_checkpoint(notes.parse_note(client.get("/checkpoint").content).text).size == 3
    container.stop()
    one = _config(tmp_path, 1, [first, second])
    start_transparency(transparency_signing_key=log_key[0], transparency_witnesses=one)
    checkpoint, verified = _cosigned(client, log_key[1], [first], 4)
    assert checkpoint.size == 4 and len(verified) == 2


class _Liar:
    """An HTTP "witness" answering what ``answer(body)`` says."""

    def __init__(self, answer: Callable[[bytes], tuple[int, bytes]]) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests += 1
                status, content = answer(body)
                self.send_response(status)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args: Any) -> None:
                pass

        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()


@pytest.mark.parametrize("kind", ["garbage", "fork", "other_key"])
def test_a_witness_answering_garbage_or_a_fork_counts_for_nothing(
    kind: str,
    start_transparency: Callable[..., Any],
    log_key: tuple[Path, str],
    publish: Callable[[Envelope], None],
    client: BaseUrlSession,
    log_db: Any,
    tmp_path: Path,
    log_settings: Any,
) -> None:
    name = "liar.example.org"
    skey, vkey = notes.cosigner_key(name)
    other_skey, _ = notes.cosigner_key(name)

    def answer(body: bytes) -> tuple[int, bytes]:
        if kind == "garbage":
            return 200, b"\xff\x00 not a cosignature\n"
        fork = Checkpoint(log_settings.log_origin, 1, b"\x01" * 32).text()
        text = fork if kind == "fork" else body.split(b"\n\n", 1)[1].split(b"\n\n")[0] + b"\n"
        signing = skey if kind == "fork" else other_skey
        return 200, (notes.cosign(text, signing, int(time.time())).line() + "\n").encode()

    liar = _Liar(answer)
    try:
        config = tmp_path / "liar.yaml"
        config.write_text(
            yaml.safe_dump(
                {"quorum": 1, "witnesses": [{"name": name, "url": liar.url, "vkey": vkey}]}
            )
        )
        start_transparency(transparency_signing_key=log_key[0], transparency_witnesses=config)
        petition = Petition()
        publish(leaves_event([petition.open(), petition.sign()]))
        eventually(lambda: _published_size(log_db).size == 2, what="integration")
        eventually(lambda: liar.requests >= 2, what="the witness asked")
        assert _published_size(log_db).published_size is None
        response = client.get("/checkpoint")
        assert response.status_code == 404 and response.headers["Cache-Control"] == "no-store"
        assert response.json()["error"] == "not_yet"
    finally:
        liar.stop()


def test_after_a_restart_the_log_asks_from_the_size_the_witness_cosigned(
    start_transparency: Callable[..., Any],
    witness_factory: Callable[..., Any],
    log_key: tuple[Path, str],
    publish: Callable[[Envelope], None],
    log_db: Any,
    tmp_path: Path,
) -> None:
    """The sizes are in the database: no request from 0 answered 409 after a restart."""
    import urllib.error
    import urllib.request

    from hub_verify.witness import parse_add_checkpoint

    witness = witness_factory("w1.example.org")
    asked: list[tuple[int, int]] = []  # (old size sent, status answered)

    def forward(body: bytes) -> tuple[int, bytes]:
        request = urllib.request.Request(witness.url + "/add-checkpoint", data=body)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                status, content = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, content = error.code, error.read()
        asked.append((parse_add_checkpoint(body)[0], status))
        return status, content

    proxy = _Liar(forward)
    try:
        config = tmp_path / "proxied.yaml"
        entry = {"name": witness.name, "url": proxy.url, "vkey": witness.vkey}
        config.write_text(yaml.safe_dump({"quorum": 1, "witnesses": [entry]}))
        container = start_transparency(
            transparency_signing_key=log_key[0], transparency_witnesses=config
        )
        petition = Petition()
        publish(leaves_event([petition.open(), petition.sign(), petition.sign()]))
        eventually(lambda: _published_size(log_db).published_size == 3, what="a cosigned 3")
        container.stop()
        with log_db.connect() as conn:
            stored = conn.execute(sa.text("SELECT name, size FROM witness_sizes")).all()
        assert [tuple(r) for r in stored] == [(witness.name, 3)]
        asked.clear()
        start_transparency(transparency_signing_key=log_key[0], transparency_witnesses=config)
        publish(leaves_event([petition.sign()]))
        eventually(lambda: _published_size(log_db).published_size == 4, what="a cosigned 4")
        assert asked[0] == (3, 200) and all(status == 200 for _, status in asked), asked
    finally:
        proxy.stop()
