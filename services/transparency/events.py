"""What the transparency service tells the others (public: notifications forwards it to
agencies)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import Event


@dataclass(frozen=True)
class CheckpointPublished(Event):
    """A checkpoint the witness quorum cosigned (or, without witnesses, the log alone signed):
    ``checkpoint`` is the whole signed note; ``root_hash`` standard base64."""

    TYPE = "transparency.checkpoint_published"
    origin: str
    size: int
    root_hash: str
    checkpoint: str
