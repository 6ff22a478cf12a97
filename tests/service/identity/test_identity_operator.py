"""The operator's commands: clients list, disable, rotate-secret; keys rotate; citizens erase."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import requests
import sqlalchemy as sa
from identity_browser import exchange, login
from joserfc import jwt
from joserfc.jwk import KeySet

from shared.auth import TokenVerifier


def hub_command(env, *args):
    command = Path(sys.executable).parent / "hub"
    return subprocess.run(
        [str(command), *args], env=env, capture_output=True, text=True, timeout=60
    )


def tokens(hub, client, identity="marie.dupont"):
    signed_in = login(hub, client, identity)
    return exchange(hub, client, signed_in.answer["code"], signed_in.verifier)


def test_clients_list_disable_and_rotate_secret(hub, hub_env, register):
    client = register()
    listed = hub_command(hub_env, "clients", "list")
    assert listed.returncode == 0, listed.stderr
    mine = [c for c in json.loads(listed.stdout) if c["client_id"] == client.client_id]
    assert mine and "client_secret" not in mine[0] and mine[0]["disabled"] is False
    rotated = hub_command(hub_env, "clients", "rotate-secret", client.client_id)
    new_secret = json.loads(rotated.stdout)["client_secret"]
    assert tokens(hub, client).status_code == 401  # the old secret stopped working
    client.client_secret = new_secret
    issued = tokens(hub, client).json()
    assert hub_command(hub_env, "clients", "disable", client.client_id).returncode == 0
    refreshed = requests.post(
        hub.public_url("identity") + "/token",
        data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert refreshed.status_code == 401 and refreshed.json()["error"] == "invalid_client"
    info = requests.get(
        hub.public_url("identity") + "/userinfo",
        headers={"Authorization": f"Bearer {issued['access_token']}"},
        timeout=10,
    )
    assert info.status_code == 401  # what it held is revoked
    unknown = hub_command(hub_env, "clients", "disable", "nobody")
    assert unknown.returncode == 1 and "no client" in unknown.stderr


def test_keys_rotate_publishes_first_then_signs_and_verifiers_follow(hub, hub_env, register):
    client = register()
    before = tokens(hub, client).json()["access_token"]
    rotated = hub_command(hub_env, "keys", "rotate", "--activate-in", "0")
    assert rotated.returncode == 0, rotated.stderr
    new_kid = json.loads(rotated.stdout)["kid"]
    jwks = requests.get(hub.public_url("identity") + "/jwks", timeout=10).json()
    assert {k["kid"] for k in jwks["keys"]} >= {
        new_kid,
        jwt.decode(before, KeySet.import_key_set(jwks)).header["kid"],
    }
    verifier = TokenVerifier(hub.public_url("identity"), hub.public_url("petitions"))
    assert verifier.verify(before)["iss"] == hub.public_url("identity")


def test_rotate_refuses_a_negative_delay(hub_env):
    result = hub_command(hub_env, "keys", "rotate", "--activate-in", "-5")
    assert result.returncode == 1 and "--activate-in" in result.stderr


def test_erasing_a_citizen_forgets_them_and_tells_resource_services(hub, hub_env, register):
    client = register()
    answer = tokens(hub, client, "jean.martin").json()
    petitions_sub = TokenVerifier(hub.public_url("identity"), hub.public_url("petitions")).verify(
        answer["access_token"]
    )["sub"]
    erased = hub_command(hub_env, "citizens", "erase", "--", petitions_sub)
    assert erased.returncode == 0, erased.stderr
    event_id = json.loads(erased.stdout)["event_id"]
    engine = sa.create_engine(hub.database_url("identity"))
    with engine.connect() as conn:
        envelope = conn.execute(
            sa.text("select envelope from outbox where event_id = :id"), {"id": event_id}
        ).scalar_one()
    engine.dispose()
    envelope = envelope if isinstance(envelope, dict) else json.loads(envelope)
    assert envelope["type"] == "identity.citizen_erased" and envelope["source"] == "identity"
    assert envelope["payload"]["subjects"]["petitions"] == petitions_sub
    assert "jean" not in json.dumps(envelope).lower()
    refreshed = requests.post(
        hub.public_url("identity") + "/token",
        data={"grant_type": "refresh_token", "refresh_token": answer["refresh_token"]},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert refreshed.json()["error"] == "invalid_grant"
    again = tokens(hub, client, "jean.martin").json()["access_token"]
    new_sub = TokenVerifier(hub.public_url("identity"), hub.public_url("petitions")).verify(again)
    assert new_sub["sub"] != petitions_sub  # a new citizen: nothing links them to the old one
    unknown = hub_command(hub_env, "citizens", "erase", "--", petitions_sub)
    assert unknown.returncode == 1 and "no citizen" in unknown.stderr
