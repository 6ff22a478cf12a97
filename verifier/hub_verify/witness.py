"""A C2SP tlog-witness (c2sp.org/tlog-witness): cosign a log's checkpoints, never a fork.

The witness keeps, per origin, the latest (size, root) it cosigned, in SQLite. Checking a request
against that record and writing the new one happen in one `BEGIN IMMEDIATE` transaction, committed
before the answer: two concurrent add-checkpoints from the same old size cannot both win, and a
crash never leaves a cosignature the database does not remember (tlog-witness, "persist ... before
responding ... atomically"). A witness that loses its database must be retired, not restarted.

The client side (what a log calls): `format_add_checkpoint`, `parse_cosignature_response` and
`request_cosignature`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from hub_verify import merkle
from hub_verify.checkpoint import Checkpoint, parse_checkpoint
from hub_verify.errors import MalformedError, ProofError, SignatureError, VerifyError
from hub_verify.note import Signature, Verifier, cosign, format_note, parse_note, verify_note

MAX_PROOF_LINES = 63
MAX_BODY_BYTES = 64 * 1024  # a checkpoint, 63 hashes and a few signatures fit many times over
SIZE_CONTENT_TYPE = "text/x.tlog.size"
_OLD_LINE = re.compile(rb"old (0|[1-9][0-9]{0,18})")
_EMDASH = "\u2014"


# -- the wire format (tlog-witness, "add-checkpoint") ----------------------------------------


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], note: bytes) -> bytes:
    """The add-checkpoint request body: `old N`, the consistency proof, a blank line, the note."""
    if len(proof) > MAX_PROOF_LINES:
        raise MalformedError(f"add-checkpoint: {len(proof)} proof lines, at most {MAX_PROOF_LINES}")
    lines = b"".join(base64.b64encode(h) + b"\n" for h in proof)
    return b"old %d\n" % old_size + lines + b"\n" + note


def parse_add_checkpoint(body: bytes) -> tuple[int, list[bytes], bytes]:
    """(old size, proof hashes, signed note); MalformedError on anything else."""
    head, sep, note = body.partition(b"\n\n")
    if not sep:
        raise MalformedError("add-checkpoint: no blank line before the checkpoint")
    lines = head.split(b"\n")
    match = _OLD_LINE.fullmatch(lines[0])
    if match is None:
        raise MalformedError("add-checkpoint: the first line must be 'old <size>'")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise MalformedError(f"add-checkpoint: more than {MAX_PROOF_LINES} proof lines")
    return int(match.group(1)), [_hash_line(line) for line in lines[1:]], note


def _hash_line(line: bytes) -> bytes:
    try:
        value = base64.b64decode(line, validate=True)
    except binascii.Error:
        raise MalformedError("add-checkpoint: a proof line is not base64") from None
    if len(value) != merkle.HASH_SIZE:
        raise MalformedError("add-checkpoint: a proof line is not a 32-byte hash")
    return value


def parse_cosignature_response(body: bytes, note: bytes, witness: Verifier) -> list[Signature]:
    """The witness's cosignatures in a 200 answer that verify over the note's checkpoint.

    SignatureError if none does (tlog-witness: the client ignores unknown keys); MalformedError if
    the body is not signature lines.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedError("witness answer: not UTF-8") from None
    if not text.endswith("\n") or not all(
        line.startswith(_EMDASH + " ") for line in text[:-1].split("\n")
    ):
        raise MalformedError("witness answer: not a sequence of signature lines")
    checkpoint_text = parse_note(note).text
    signatures = parse_note(checkpoint_text + b"\n" + body).signatures
    ours = [s for s in signatures if s.name == witness.name and s.key_id == witness.key_id]
    if not ours:
        raise SignatureError(f"witness answer: no signature by {witness.name}")
    verify_note(format_note(checkpoint_text, ours), [witness])  # raises unless they all verify
    return ours


class WitnessConflict(VerifyError):
    """409: the witness's latest size for this origin is not the old size that was sent."""

    def __init__(self, size: int | None, message: str) -> None:
        super().__init__(message)
        self.size = size


def request_cosignature(
    url: str,
    old_size: int,
    proof: Sequence[bytes],
    note: bytes,
    witness: Verifier,
    timeout: float = 2.0,
) -> list[Signature]:
    """POST add-checkpoint to a witness (url = its submission prefix) and check what it signs.

    Raises WitnessConflict on 409 (with the witness's size when it said one), VerifyError on any
    other refusal, OSError when the witness cannot be reached.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"{url!r} is not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 (http or https, checked above)
        url.rstrip("/") + "/add-checkpoint",
        data=format_add_checkpoint(old_size, proof, note),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            body = answer.read(MAX_BODY_BYTES)
    except urllib.error.HTTPError as error:
        detail = error.read(1024)
        if error.code == 409:
            raise WitnessConflict(_size_body(detail), f"witness {witness.name}: 409") from None
        reason = detail.decode("utf-8", "replace").strip()
        raise VerifyError(f"witness {witness.name} answered {error.code}: {reason}") from None
    return parse_cosignature_response(body, note, witness)


def _size_body(body: bytes) -> int | None:
    match = re.fullmatch(rb"(0|[1-9][0-9]{0,18})\n", body)
    return int(match.group(1)) if match else None


# -- the witness's state -------------------------------------------------------------------------


_SCHEMA = """
CREATE TABLE IF NOT EXISTS latest (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    cosigned BLOB NOT NULL        -- the checkpoint note with our cosignature: what GET serves
);
CREATE TABLE IF NOT EXISTS evidence (  -- signed by the log yet refused: maybe a fork, kept
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    body BLOB NOT NULL,
    received_at INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Latest:
    size: int
    root: bytes
    cosigned: bytes


class WitnessState:
    """origin -> the latest cosigned (size, root), in SQLite; see `compare_and_swap`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        with self._session() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")  # a cosignature is answered only once on disk
        return db

    @contextlib.contextmanager
    def _session(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            yield db
        finally:
            db.close()

    def latest(self, origin: str) -> Latest | None:
        with self._session() as db:
            row = db.execute(
                "SELECT size, root, cosigned FROM latest WHERE origin = ?", (origin,)
            ).fetchone()
        return Latest(row[0], row[1], row[2]) if row else None

    def compare_and_swap(
        self, origin: str, decide: Callable[[Latest | None], Latest | None]
    ) -> Latest | None:
        """Read the origin's record, let `decide` check it and return the new one (or None to
        keep it, or raise), write it, all in one BEGIN IMMEDIATE transaction; returns the old."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT size, root, cosigned FROM latest WHERE origin = ?", (origin,)
            ).fetchone()
            old = Latest(row[0], row[1], row[2]) if row else None
            new = decide(old)
            if new is not None:
                db.execute(
                    "INSERT INTO latest (origin, size, root, cosigned) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (origin) DO UPDATE SET size = excluded.size, "
                    "root = excluded.root, cosigned = excluded.cosigned",
                    (origin, new.size, new.root, new.cosigned),
                )
            db.execute("COMMIT")
            return old
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def keep_evidence(self, origin: str, status: int, reason: str, body: bytes) -> None:
        with self._session() as db:
            db.execute(
                "INSERT INTO evidence (origin, status, reason, body, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (origin, status, reason, body, int(time.time())),
            )

    def evidence(self) -> list[tuple[str, int, str]]:
        with self._session() as db:
            return db.execute("SELECT origin, status, reason FROM evidence ORDER BY id").fetchall()


# -- the witness ---------------------------------------------------------------------------------


_TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = _TEXT


class _Refusal(Exception):
    def __init__(
        self, status: int, body: str, content_type: str = _TEXT, origin: str | None = None
    ) -> None:
        super().__init__(body)
        self.answer = Answer(status, body.encode(), content_type)
        self.evidence_of = origin  # set when the log signed it: kept, it may prove a fork


class Witness:
    """The add-checkpoint rules, in the order tlog-witness states them."""

    def __init__(
        self,
        skey: str,
        logs: Sequence[Verifier],
        state: WitnessState,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.skey = skey
        self.logs: dict[str, list[Verifier]] = {}
        for log in logs:  # a log's key name is its origin (tlog-checkpoint)
            self.logs.setdefault(log.name, []).append(log)
        self.state = state
        self.clock = clock

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            return self._add_checkpoint(body)
        except _Refusal as refusal:
            if refusal.evidence_of is not None:  # after the transaction: it holds the lock
                reason = refusal.answer.body.decode().strip()
                self.state.keep_evidence(refusal.evidence_of, refusal.answer.status, reason, body)
            return refusal.answer

    def _add_checkpoint(self, body: bytes) -> Answer:
        try:
            old_size, proof, note = parse_add_checkpoint(body)
            checkpoint = parse_checkpoint(parse_note(note).text)
        except VerifyError as error:
            raise _Refusal(400, f"bad request: {error}") from None
        verifiers = self.logs.get(checkpoint.origin)
        if verifiers is None:
            raise _Refusal(404, f"unknown log origin {checkpoint.origin!r}")
        try:
            verify_note(note, verifiers)
        except VerifyError as error:
            raise _Refusal(
                403, f"no valid signature by a trusted key of this log: {error}"
            ) from None
        if old_size > checkpoint.size:
            raise _Refusal(400, f"old size {old_size} is larger than the checkpoint's")
        cosigned_at = int(self.clock())
        cosignature = cosign(parse_note(note).text, self.skey, cosigned_at)
        line = cosignature.line().encode()

        def decide(latest: Latest | None) -> Latest | None:
            self._check(latest, old_size, proof, checkpoint)
            if latest is not None and latest.size == checkpoint.size:
                return None  # the same tree again: a fresh cosignature, nothing to record
            cosigned = note if note.endswith(b"\n") else note + b"\n"
            return Latest(checkpoint.size, checkpoint.root, cosigned + line)

        self.state.compare_and_swap(checkpoint.origin, decide)
        return Answer(200, line)

    def _check(
        self,
        latest: Latest | None,
        old_size: int,
        proof: list[bytes],
        checkpoint: Checkpoint,
    ) -> None:
        size = latest.size if latest else 0
        if old_size != size:
            raise _Refusal(409, f"{size}\n", SIZE_CONTENT_TYPE)
        if checkpoint.size == 0 and checkpoint.root != merkle.EMPTY_ROOT:
            raise _Refusal(422, "a non-empty root at size 0\n", origin=checkpoint.origin)
        if latest is not None and latest.size == checkpoint.size:
            if latest.root != checkpoint.root:
                raise _Refusal(409, "same size, other root (a fork)\n", origin=checkpoint.origin)
            return
        old_root = latest.root if latest else merkle.EMPTY_ROOT
        try:
            merkle.verify_consistency(old_size, checkpoint.size, proof, old_root, checkpoint.root)
        except ProofError as error:
            raise _Refusal(422, f"consistency proof: {error}\n", origin=checkpoint.origin) from None

    def latest_checkpoint(self, origin_hash_hex: str) -> bytes | None:
        """The latest cosigned checkpoint of the origin whose SHA-256 is this (monitoring GET)."""
        for origin in self.logs:
            if hashlib.sha256(origin.encode()).hexdigest() == origin_hash_hex:
                latest = self.state.latest(origin)
                return latest.cosigned if latest else None
        return None


# -- HTTP ----------------------------------------------------------------------------------------


_CHECKPOINT_PATH = re.compile(r"/([0-9a-f]{64})/checkpoint")


def make_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server: POST /add-checkpoint, GET /<hex sha256(origin)>/checkpoint."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as tlog-witness recommends

        def do_POST(self) -> None:
            if self.path != "/add-checkpoint":
                return self._send(Answer(404, b"not found\n"))
            length = self.headers.get("Content-Length", "")
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                self.close_connection = True
                return self._send(Answer(400, b"a Content-Length up to 64 KiB is required\n"))
            self._send(witness.add_checkpoint(self.rfile.read(int(length))))

        def do_GET(self) -> None:
            match = _CHECKPOINT_PATH.fullmatch(self.path)
            cosigned = witness.latest_checkpoint(match.group(1)) if match else None
            if cosigned is None:
                return self._send(Answer(404, b"not found\n"))
            self._send(Answer(200, cosigned))

        def _send(self, answer: Answer) -> None:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # the requests carry nothing secret, but one line per call is noise

    return ThreadingHTTPServer((host, port), Handler)


def load_witness(key_file: str, log_vkeys: Sequence[str], state_dir: str) -> Witness:
    """A witness from its key file, the logs' verifier keys and its state directory."""
    skey = Path(key_file).read_text(encoding="ascii").strip()
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    state = WitnessState(Path(state_dir) / "witness.sqlite")
    return Witness(skey, [Verifier(v) for v in log_vkeys], state)
