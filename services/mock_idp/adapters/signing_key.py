"""The mock provider's signing key, kept under ``HUB_DATA_DIR`` so that a restarted provider signs
with the key identity already holds (a provider that changed keys at every restart made identity
refuse its tokens until it fetched the new key)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from joserfc.jwk import ECKey


def load_or_create(path: Path) -> ECKey:
    """The key stored at ``path``, made (P-256) and stored there first if there is none."""
    if path.exists():
        return ECKey.import_key(json.loads(path.read_text()))
    key = ECKey.generate_key("P-256", private=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under another name, then renamed: two processes starting at once, or a crash
    # mid-write, never leave a half key; the loser of a race reads the winner's.
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(key.as_dict(private=True), out)
    try:
        os.link(partial, path)  # fails if another process made it meanwhile
    except FileExistsError:
        key = ECKey.import_key(json.loads(path.read_text()))
    finally:
        partial.unlink()
    return key
