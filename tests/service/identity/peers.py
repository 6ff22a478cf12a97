"""Certified OpenID peers from the npm registry (tests/peers), run with Node for the hub's tests:
oidc-provider as a FranceConnect v2-like upstream provider, openid-client as a relying party.

`make setup` installs them (`npm ci --prefix tests/peers`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PEERS_DIR = Path(__file__).resolve().parents[2] / "peers"
PEER_SECRET = "peer-client-secret-for-the-hub-0123456789"  # noqa: S105 - a test peer's secret

# The peer's accounts, in FranceConnect's pivot-identity format. marie.dupont is the mock's
# marie.dupont as another provider sends her (spacing, e-mail): the same person.
PEER_ACCOUNTS = {
    "marie.dupont": {
        "acr": "eidas1",
        "claims": {
            "given_name": "Marie  Louise",
            "family_name": "DUPONT",
            "birthdate": "1985-04-12",
            "gender": "female",
            "birthplace": "75056",
            "birthcountry": "99100",
            "email": "m.dupont@peer.example",
        },
    },
    "nadia.haddad": {
        "acr": "eidas2",
        "claims": {
            "given_name": "Nadia",
            "family_name": "HADDAD",
            "birthdate": "1975-00-00",  # a presumed date, as some providers send it
            "gender": "female",
            "birthplace": "",
            "birthcountry": "99352",
            "email": "nadia.haddad@peer.example",
        },
    },
}


def node() -> str:
    found = shutil.which("node")
    if found is None or not (PEERS_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("the test peers are not installed: run `npm ci --prefix tests/peers`")
    return found


@dataclass
class UpstreamPeer:
    issuer: str
    process: subprocess.Popen[str]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_upstream(port: int, hub_url: str, provider_id: str) -> UpstreamPeer:
    config = {
        "port": port,
        "clients": [
            {
                "client_id": "hub",
                "client_secret": PEER_SECRET,
                "redirect_uris": [f"{hub_url}/oidc-callback/{provider_id}"],
                "post_logout_redirect_uris": [f"{hub_url}/logout-callback/{provider_id}"],
            }
        ],
        "accounts": PEER_ACCOUNTS,
    }
    process = subprocess.Popen(  # noqa: S603 - our own script
        [node(), str(PEERS_DIR / "upstream.mjs")],
        env={**os.environ, "PEER_CONFIG": json.dumps(config)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if not line:
        process.kill()
        pytest.fail("the oidc-provider peer did not start")
    return UpstreamPeer(json.loads(line)["issuer"], process)


def run_rp(command: str, **payload: Any) -> dict[str, Any]:
    """Runs one step of the openid-client relying party; its JSON answer."""
    result = subprocess.run(  # noqa: S603 - our own script
        [node(), str(PEERS_DIR / "rp.mjs"), command],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]
