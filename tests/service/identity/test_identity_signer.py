"""One signature per person, whatever their petitions subject (issue 21, deliverable 7).

The petitions subject changes when identity forgets a citizen (`hub citizens erase`: a new login
is a new citizen) and when PETITIONS_PUBLIC_URL changes (the subject is pairwise per resource
URL). identity's `signer` claim does not: petitions keys its nullifier with it, so the same
person signing the same petition again is refused both times.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from identity_browser import exchange, login

from services.identity.service import IdentityService
from services.mock_idp.service import MockIdentityProvider
from services.petitions.service import PetitionsService
from shared.auth import TokenVerifier
from shared.testing import wait_for_http


def _hub_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "hub"
    return subprocess.run(  # noqa: S603 - the hub's own command
        [str(command), *args], env=env, capture_output=True, text=True, timeout=60
    )


def _access_token(settings: Any, client: Any, identity: str) -> str:
    signed_in = login(settings, client, identity)
    answer = exchange(settings, client, signed_in.answer["code"], signed_in.verifier)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _operator(settings: Any, register: Any) -> dict[str, str]:
    operator = register("operator", hub_settings=settings)
    answer = requests.post(
        settings.public_url("identity") + "/token",
        data={"grant_type": "client_credentials"},
        auth=(operator.client_id, operator.client_secret),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return _bearer(answer.json()["access_token"])


def _published_petition(settings: Any, author: str, operator: dict[str, str]) -> str:
    url = settings.public_url("petitions") + "/api/petitions"
    body = {"title": "Plant trees along every road", "text": "Trees cool our towns, and more."}
    created = requests.post(url, json=body, headers=_bearer(author), timeout=10)
    assert created.status_code == 201, created.text
    petition_id = str(created.json()["id"])
    published = requests.post(
        f"{url}/{petition_id}/moderation",
        json={"decision": "publish"},
        headers=operator,
        timeout=10,
    )
    assert published.status_code == 200, published.text
    return petition_id


def _sign(settings: Any, petition_id: str, token: str) -> requests.Response:
    url = f"{settings.public_url('petitions')}/api/petitions/{petition_id}/signatures"
    return requests.post(url, headers=_bearer(token), timeout=10)


def _start_petitions(start_service: Any, settings: Any) -> Any:
    container = start_service(PetitionsService, "petitions", settings)
    wait_for_http(settings.public_url("petitions") + "/healthz")
    return container


def test_an_erased_citizen_signing_again_as_a_new_one_is_refused(
    hub, hub_env, register, start_service
):
    _start_petitions(start_service, hub)
    client = register()
    operator = _operator(hub, register)
    petition_id = _published_petition(hub, _access_token(hub, client, "marie.dupont"), operator)
    first = _access_token(hub, client, "jean.martin")
    assert _sign(hub, petition_id, first).status_code == 201
    sub = TokenVerifier(hub.public_url("identity"), hub.public_url("petitions")).verify(first)[
        "sub"
    ]

    erased = _hub_command(hub_env, "citizens", "erase", "--", sub)
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["erased"] is True
    engine = sa.create_engine(hub.database_url("petitions"))
    deadline = time.monotonic() + 30
    with engine.connect() as db:  # petitions hears of the erasure: the row no longer names them
        while db.execute(
            sa.text("select count(*) from signatures where citizen_sub = :sub"), {"sub": sub}
        ).scalar_one():
            assert time.monotonic() < deadline, "petitions did not apply the erasure"
            time.sleep(0.1)
            db.rollback()
    engine.dispose()

    again = _access_token(hub, client, "jean.martin")  # a new citizen to identity, a new subject
    verifier = TokenVerifier(hub.public_url("identity"), hub.public_url("petitions"))
    assert verifier.verify(again)["sub"] != sub
    refused = _sign(hub, petition_id, again)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "already_signed"


def test_a_new_petitions_url_gives_new_subjects_but_not_a_second_signature(
    settings, register, start_service
):
    start_service(MockIdentityProvider, "mock-idp", settings)
    wait_for_http(settings.public_url("mock-idp") + "/healthz")
    identity = _start_identity(start_service, settings)
    petitions = _start_petitions(start_service, settings)
    client = register()
    operator = _operator(settings, register)
    author = _access_token(settings, client, "marie.dupont")
    petition_id = _published_petition(settings, author, operator)
    before = _access_token(settings, client, "jean.martin")
    assert _sign(settings, petition_id, before).status_code == 201

    # The same services (same ports, same databases) now known under another petitions URL.
    old_url = settings.public_url("petitions")
    new_url = old_url.replace("127.0.0.1", "localhost")
    moved = dataclasses.replace(
        settings, public_urls={**settings.public_urls, "petitions": new_url}
    )
    petitions.stop()
    identity.stop()
    _start_identity(start_service, moved)
    _start_petitions(start_service, moved)

    after = _access_token(moved, client, "jean.martin")
    subjects = [
        TokenVerifier(settings.public_url("identity"), url).verify(token)["sub"]
        for url, token in ((old_url, before), (new_url, after))
    ]
    assert subjects[0] != subjects[1]  # a new subject for the same person
    refused = _sign(moved, petition_id, after)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "already_signed"


def _start_identity(start_service: Any, settings: Any) -> Any:
    container = start_service(IdentityService, "identity", settings)
    wait_for_http(settings.public_url("identity") + "/healthz")
    return container
