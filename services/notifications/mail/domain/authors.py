"""Petition authors' e-mail rules, in plain Python: the author key (the petitions service hands
it to the author once; we only ever see its hash)."""

from __future__ import annotations

import hashlib
import hmac

MAX_AUTHOR_KEY_LENGTH = 200
MAX_PETITION_ID_LENGTH = 100
# How a petition can end; each one erases the author's address.
ENDINGS = ("rejected", "closed", "withdrawn", "hidden")
# A placeholder to compare against when the petition is unknown, so both paths do the same work.
_NO_HASH = "0" * 64


def author_key_hash(petition_id: str, author_key: str) -> str:
    """The petitions service's binding of an author key to its petition."""
    return hashlib.sha256(f"{petition_id}\n{author_key}".encode()).hexdigest()


def holds_author_key(recorded_hash: str | None, petition_id: str, author_key: str) -> bool:
    """The key presented is the petition's author key (constant time)."""
    presented = author_key_hash(petition_id, author_key)
    same = hmac.compare_digest(presented.encode(), (recorded_hash or _NO_HASH).encode())
    return same and recorded_hash is not None
