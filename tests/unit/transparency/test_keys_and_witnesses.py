"""The log's signing key and witnesses' configuration: clear refusals, never a traceback."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml
from hub_verify import note as notes

from services.transparency.dependencies import signing_key, witness_pool
from shared.config import SettingsError, load_settings


def _settings(tmp_path: Path, **env: str):  # type: ignore[no-untyped-def]
    return load_settings({"HUB_DATA_DIR": str(tmp_path), **env})


def test_development_generates_a_private_key_named_by_the_origin(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert settings.log_origin == "127.0.0.1:8005/tlog"
    signer, vkey = signing_key(settings)
    path = tmp_path / "transparency" / "signing-key-127.0.0.1_8005_tlog"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signer.name == "127.0.0.1:8005/tlog" and notes.Verifier(vkey).name == signer.name
    assert signing_key(settings)[1] == vkey  # kept, not made anew
    # another port is another log, with its own key, not a refusal to start
    other, other_vkey = signing_key(_settings(tmp_path, TRANSPARENCY_PORT="8015"))
    assert other.name == "127.0.0.1:8015/tlog" and other_vkey != vkey
    assert signing_key(settings)[1] == vkey


def test_the_origin_follows_the_public_url(tmp_path: Path) -> None:
    url = {"TRANSPARENCY_PUBLIC_URL": "https://log.example.org"}
    assert _settings(tmp_path, **url).log_origin == "log.example.org:443/tlog"
    assert _settings(tmp_path, TRANSPARENCY_LOG_ORIGIN="x.org/log").log_origin == "x.org/log"


def test_production_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    settings = _settings(tmp_path, HUB_ENV="production")
    with pytest.raises(SettingsError, match="TRANSPARENCY_SIGNING_KEY"):
        settings.require_production_secrets("transparency")
    with pytest.raises(SettingsError, match="TRANSPARENCY_SIGNING_KEY"):
        signing_key(settings)


@pytest.mark.parametrize(
    ("content", "message"),
    [("not a key", "holds no note signing key"), (None, "cannot read"), ("other", "named")],
)
def test_a_bad_key_file_is_refused_clearly(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "key"
    if content == "other":
        path.write_text(notes.generate_key("other.example.org/tlog")[0])
    elif content is not None:
        path.write_text(content)
    with pytest.raises(SettingsError, match=message):
        signing_key(_settings(tmp_path, TRANSPARENCY_SIGNING_KEY=str(path)))


def test_witnesses_config(tmp_path: Path) -> None:
    _, vkey = notes.cosigner_key("w1.example.org")
    path = tmp_path / "w.yaml"
    entry = {"name": "w1.example.org", "url": "http://127.0.0.1:1", "vkey": vkey}
    path.write_text(yaml.safe_dump({"quorum": 1, "witnesses": [entry]}))
    pool = witness_pool(_settings(tmp_path, TRANSPARENCY_WITNESSES=str(path)))
    assert pool.quorum == 1 and [w.name for w in pool.witnesses] == ["w1.example.org"]
    bad = [
        "[1, 2]",
        yaml.safe_dump({"quorum": 2, "witnesses": [entry]}),
        yaml.safe_dump({"quorum": 1, "witnesses": [{**entry, "name": "other"}]}),
        yaml.safe_dump({"quorum": 1, "witnesses": [{**entry, "vkey": "garbage"}]}),
        yaml.safe_dump({"quorum": 1, "witnesses": [{**entry, "url": "ftp://x"}]}),
        yaml.safe_dump({"quorum": 1, "witnesses": [entry, entry]}),
        ": : :",
    ]
    for content in bad:
        path.write_text(content)
        with pytest.raises(SettingsError, match="TRANSPARENCY_WITNESSES"):
            witness_pool(_settings(tmp_path, TRANSPARENCY_WITNESSES=str(path)))
