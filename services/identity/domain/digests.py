"""How codes, secrets, refresh tokens and browser keys are kept: as digests, never in clear."""

from __future__ import annotations

import hashlib
import hmac


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def same_digest(value: str, stored: str) -> bool:
    return hmac.compare_digest(digest(value), stored)
