"""The mock provider's test identities file (``MOCK_IDP_IDENTITIES``; default: identities.yaml in
the service's folder)."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.mock_idp.domain.identities import IdentitiesError, TestIdentity, identities_from

DEFAULT_IDENTITIES_FILE = Path(__file__).resolve().parents[1] / "identities.yaml"


def load_identities(path: Path | None) -> dict[str, TestIdentity]:
    path = path or DEFAULT_IDENTITIES_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise IdentitiesError(f"MOCK_IDP_IDENTITIES: cannot load {path}: {exc}") from None
    return identities_from(data.get("identities") if isinstance(data, dict) else None, str(path))
