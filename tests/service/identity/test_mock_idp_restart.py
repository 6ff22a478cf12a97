"""A restarted mock provider signs with the key it had: identity, which holds that key, accepts
its next tokens at once (`make faults` kills it with -9 and starts it again)."""

from __future__ import annotations

import dataclasses
import stat

import requests

from services.mock_idp.service import MockIdentityProvider
from shared.testing import free_port, wait_for_http


def _on_a_port_of_its_own(settings):
    port = free_port()
    return dataclasses.replace(
        settings,
        ports={**settings.ports, "mock-idp": port},
        public_urls={**settings.public_urls, "mock-idp": f"http://127.0.0.1:{port}"},
    )


def _started_kids(start_service, settings) -> list[str]:
    start_service(MockIdentityProvider, "mock-idp", settings)
    base = settings.public_url("mock-idp")
    wait_for_http(base + "/healthz")
    return [k["kid"] for k in requests.get(base + "/api/v2/jwks", timeout=10).json()["keys"]]


def test_a_restarted_mock_provider_keeps_its_key(start_service, settings):
    first = _started_kids(start_service, _on_a_port_of_its_own(settings))
    key_file = settings.data_dir / "mock-idp" / "signing-key.jwk"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # Another process on the same data directory, as after `kill -9` and a restart.
    assert _started_kids(start_service, _on_a_port_of_its_own(settings)) == first


def test_another_data_directory_gets_another_key(start_service, settings, tmp_path):
    first = _started_kids(start_service, _on_a_port_of_its_own(settings))
    elsewhere = dataclasses.replace(_on_a_port_of_its_own(settings), data_dir=tmp_path / "other")
    assert _started_kids(start_service, elsewhere) != first
