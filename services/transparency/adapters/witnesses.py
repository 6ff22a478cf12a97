"""Collecting witness cosignatures (C2SP tlog-witness ``add-checkpoint``).

Each witness gets ``POST {url}/add-checkpoint`` with the consistency proof from the size it last
cosigned (what this process last saw of it, else the size stored with the last published
checkpoint; 0 at first), all in parallel, each within
``TIMEOUT_SECONDS``. A ``409`` says the witness holds another size: the request is made again
from that size. An answer counts only if it holds a valid cosignature of this very checkpoint by
that witness's key; garbage, other keys, a cosignature of another tree (a fork) and errors count
as failures and change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import eventlet
import requests
from hub_verify import note as notes
from hub_verify.errors import VerifyError
from hub_verify.witness import format_add_checkpoint, parse_cosignature_response

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2.0
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Witness:
    name: str
    url: str
    verifier: notes.Verifier


@dataclass(frozen=True)
class Answer:
    witness: Witness
    signature: notes.Signature | None = None
    size: int | None = None  # a 409's: the size the witness holds
    failure: str | None = None


ProofFor = Callable[[int], list[bytes]]


class WitnessPool:
    def __init__(self, witnesses: Sequence[Witness], quorum: int) -> None:
        self.witnesses = list(witnesses)
        self.quorum = quorum
        self.sizes: dict[str, int] = {}  # what each witness last told us it holds
        self.session = requests.Session()

    def cosign(
        self, note: bytes, text: bytes, size: int, proof_for: ProofFor
    ) -> tuple[list[notes.Signature], list[Answer]]:
        """The cosignatures of ``note`` (whose text is ``text``, of tree ``size``), and the
        failed answers. ``proof_for(old)`` runs here, never in the parallel requests."""
        todo = self.witnesses
        signatures: list[notes.Signature] = []
        failures: list[Answer] = []
        for _attempt in range(2):  # once, and again from the size a 409 gave
            requests_ = []
            for witness in todo:
                old = self.sizes.get(witness.name, 0)
                if old > size:
                    failures.append(Answer(witness, failure=f"holds size {old} > {size}"))
                    continue
                body = format_add_checkpoint(old, proof_for(old) if old else [], note)
                requests_.append((witness, body))
            pool = eventlet.GreenPool(max(1, len(requests_)))
            answers = list(pool.imap(lambda wb: self._ask(wb[0], wb[1], note), requests_))
            todo = []
            for answer in answers:
                if answer.signature is not None:
                    self.sizes[answer.witness.name] = size
                    signatures.append(answer.signature)
                elif answer.size is not None and answer.size != self.sizes.get(
                    answer.witness.name, 0
                ):
                    self.sizes[answer.witness.name] = answer.size
                    todo.append(answer.witness)
                else:
                    failures.append(answer)
            if not todo:
                break
        failures.extend(Answer(w, failure="conflicting sizes") for w in todo)
        return signatures, failures

    def _ask(self, witness: Witness, body: bytes, note: bytes) -> Answer:
        try:
            response = self.session.post(
                f"{witness.url.rstrip('/')}/add-checkpoint",
                data=body,
                timeout=TIMEOUT_SECONDS,
                stream=True,
            )
            content = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
            response.close()
        except (requests.RequestException, OSError) as exc:
            return Answer(witness, failure=f"unreachable: {type(exc).__name__}")
        except eventlet.Timeout:  # pragma: no cover - requests' own timeout comes first
            return Answer(witness, failure="timed out")
        if len(content) > MAX_ANSWER_BYTES:
            return Answer(witness, failure="answer too long")
        if response.status_code == 409:
            size = _size(content)
            if size is None:
                return Answer(witness, failure="409 without a size")
            return Answer(witness, size=size)
        if response.status_code != 200:
            return Answer(witness, failure=f"answered {response.status_code}")
        try:
            [signature, *_] = parse_cosignature_response(content, note, witness.verifier)
        except VerifyError as exc:  # garbage, another key, or a cosignature of another tree
            return Answer(witness, failure=f"no valid cosignature: {exc}")
        return Answer(witness, signature=signature)


def _size(content: bytes) -> int | None:
    raw = content.strip()
    if not raw.isdigit() or len(raw) > 19 or (len(raw) > 1 and raw[:1] == b"0"):
        return None
    return int(raw)
