"""Every service has the same rooms (README, "Code layout"): a newcomer who knows one knows where
everything is in the others. The imports between rooms are checked by `make lint`
(import-linter, contracts in pyproject.toml); this checks that nothing lives outside a room."""

from __future__ import annotations

from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
ROOMS = {
    "__init__.py",
    "service.py",
    "cli.py",
    "web",
    "dependencies.py",
    "schemas.py",
    "schemas",
    "handlers",
    "adapters",
    "storage",
    "storage.py",
    "events.py",
    "commands.py",
    "domain",
    "domain.py",
    "migrations",
}
# notifications holds two sub-domains side by side, each with the rooms of a service.
SUB_DOMAINS = {"notifications": {"webhooks", "mail"}}


def _entries(folder: Path) -> set[str]:
    return {
        p.name
        for p in folder.iterdir()
        if p.name != "__pycache__" and (p.is_dir() or p.suffix == ".py")
    }


@pytest.mark.parametrize(
    "service", sorted(p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists())
)
def test_a_service_holds_only_rooms(service: str) -> None:
    folder = SERVICES / service
    subs = SUB_DOMAINS.get(service, set())
    assert "service.py" in _entries(folder)
    assert _entries(folder) - ROOMS - subs == set()
    for sub in subs:
        assert _entries(folder / sub) - ROOMS == set(), sub


def test_services_holds_only_services() -> None:
    assert {p.name for p in SERVICES.iterdir() if p.suffix == ".py"} == {"__init__.py"}
