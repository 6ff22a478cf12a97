"""`make security` runs what tests/conftest.py lists: a name there that no longer matches a test
would drop that test from it silently."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SECURITY_FILES, SECURITY_TESTS

ROOT = Path(__file__).resolve().parents[2]


def test_every_file_listed_exists() -> None:
    assert [f for f in SECURITY_FILES if not (ROOT / f).exists()] == []


def test_every_test_listed_is_defined() -> None:
    sources = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    assert [t for t in SECURITY_TESTS if f"def {t}(" not in sources] == []
