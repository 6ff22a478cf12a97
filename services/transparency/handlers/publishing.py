"""Signing the integrated tree's checkpoint, and publishing it once the witnesses' quorum
cosigned it.

The log never signs two inconsistent checkpoints: before signing, the new tree must be at least
as big as the last one signed and a consistency proof from it (read from the stored hashes) must
verify; the signed size and root are committed before any witness sees the note. A checkpoint is
published (served, archived by size, announced) only with the quorum's cosignatures; without
witnesses configured it is published with the log's signature alone. An unchanged tree is
published again (fresh cosignature times) at most every ``REPUBLISH_SECONDS``.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from hub_verify import merkle
from hub_verify import note as notes
from hub_verify.checkpoint import Checkpoint

from services.transparency.domain import LogError
from services.transparency.events import CheckpointPublished
from services.transparency.handlers.integration import hash_reader
from services.transparency.storage import log
from shared.db import UnitOfWork

logger = logging.getLogger(__name__)

REPUBLISH_SECONDS = 600


class Cosigners(Protocol):
    quorum: int
    witnesses: list[Any]
    sizes: dict[str, int]  # by witness name: the size it holds, as far as this process knows

    def cosign(
        self, note: bytes, text: bytes, size: int, proof_for: Any
    ) -> tuple[list[notes.Signature], list[Any]]: ...


@dataclass(frozen=True)
class Outcome:
    size: int
    published: bool
    failed: tuple[str, ...] = ()  # the witnesses that brought no valid cosignature


def publish_checkpoint(
    uow: UnitOfWork,
    signer: notes.Signer,
    origin: str,
    cosigners: Cosigners,
    now: datetime,
) -> Outcome | None:
    """Sign, collect the quorum and publish the current tree; None when nothing is due."""
    current = log.state(uow)
    due = (
        current.published_size != current.size
        or current.published_at is None
        or (now - _aware(current.published_at, now)).total_seconds() >= REPUBLISH_SECONDS
    )
    if not due:
        uow.rollback()
        return None
    read = hash_reader(uow)
    _check_extends(current.signed_size, current.signed_root, current.size, current.root, read)
    text = Checkpoint(origin, current.size, current.root).text()
    signed = notes.sign_note(text, signer)
    log.set_signed(uow, current.size, current.root)
    uow.commit()  # committed before any witness sees it
    signatures: list[notes.Signature] = []
    failures: list[Any] = []
    if cosigners.witnesses:
        # after a restart: from the sizes the witnesses last cosigned, not from 0 and a 409
        for name, size in log.witness_sizes_known(uow).items():
            cosigners.sizes.setdefault(name, size)

        def proof_for(old: int) -> list[bytes]:
            return merkle.prove_consistency(current.size, old, read)

        signatures, failures = cosigners.cosign(signed, text, current.size, proof_for)
        uow.rollback()  # the proofs' reads
        for failure in failures:
            logger.warning("witness %s: %s", failure.witness.name, failure.failure)
        if len(signatures) < cosigners.quorum:
            logger.warning(
                "checkpoint %d not published: %d of %d witnesses cosigned",
                current.size,
                len(signatures),
                cosigners.quorum,
            )
            return Outcome(current.size, False, _names(failures))
    full = signed
    if signatures:
        parsed = notes.parse_note(signed)
        full = notes.format_note(text, [*parsed.signatures, *signatures])
    note_text = full.decode("utf-8")
    log.publish(uow, current.size, current.root, note_text, now)
    if cosigners.witnesses:
        log.save_witness_sizes(uow, dict(cosigners.sizes))
    uow.emit(
        CheckpointPublished(
            origin, current.size, base64.b64encode(current.root).decode("ascii"), note_text
        )
    )
    uow.commit()
    return Outcome(current.size, True, _names(failures))


def _names(failures: list[Any]) -> tuple[str, ...]:
    return tuple(f.witness.name for f in failures)


def _check_extends(
    signed_size: int | None, signed_root: bytes | None, size: int, root: bytes, read: Any
) -> None:
    if signed_size is None or signed_root is None:
        return
    if size < signed_size:
        raise LogError(f"refusing to sign size {size}: size {signed_size} was signed already")
    proof = merkle.prove_consistency(size, signed_size, read)
    # raises ProofError: the stored tree does not extend what was signed; never sign it
    merkle.verify_consistency(signed_size, size, proof, signed_root, root)


def _aware(moment: datetime, now: datetime) -> datetime:
    if moment.tzinfo is None and now.tzinfo is not None:
        return moment.replace(tzinfo=now.tzinfo)
    return moment
