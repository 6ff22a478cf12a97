"""The verifiable tally, end to end, as a journalist would check it: citizens sign and withdraw
through the hub started by `hub up`; `hub-verify` (the separate package, run as its own command)
checks a receipt offline and recounts the petition from the public log alone, and its count equals
the petitions API's. An agency's endpoint receives the log's checkpoints."""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.e2e.conftest import citizen_login, client_credentials

HUB_VERIFY = str(Path(sys.executable).parent / "hub-verify")
CHECKPOINT_EVENT = "transparency.checkpoint_published"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the package's own command
        [HUB_VERIFY, *args], capture_output=True, text=True, timeout=120, check=False
    )


def wait_for_proof(url: str, timeout: float = 30.0) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(url, timeout=10)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        assert response.status_code == 404, response.text
        assert "Retry-After" in response.headers
        time.sleep(0.3)


def test_signatures_and_withdrawals_recounted_from_the_log_equal_the_api(
    hub, webhook_receiver, tmp_path
):
    petitions = hub.url("petitions")
    tlog = hub.url("transparency") + "/tlog"
    app = hub.cli(
        "clients",
        "create",
        "--name",
        "Petitions app",
        "--kind",
        "service-provider",
        "--redirect-uri",
        "http://127.0.0.1:1/callback",
    )
    operator = hub.cli("clients", "create", "--name", "Moderation desk", "--kind", "operator")
    agency = hub.cli("clients", "create", "--name", "Archives nationales", "--kind", "agency")
    subscription = requests.post(
        f"{hub.url('notifications')}/api/subscriptions",
        json={"url": webhook_receiver.url, "event_types": [CHECKPOINT_EVENT]},
        headers=bearer(client_credentials(hub, agency, "events:subscribe")),
        timeout=10,
    )
    assert subscription.status_code == 201, subscription.text
    webhook_receiver.secret = subscription.json()["secret"]

    people = ["marie.dupont", "jean.martin", "sophie.bernard", "ahmed.benali", "amina.diallo"]
    tokens = {who: citizen_login(hub, app, who)["access_token"] for who in people}
    created = requests.post(
        f"{petitions}/api/petitions",
        json={"title": "Des fontaines dans chaque parc", "text": "De l'eau pour tous, l'été."},
        headers=bearer(tokens["marie.dupont"]),
        timeout=10,
    )
    assert created.status_code == 201, created.text
    petition_id = created.json()["id"]
    moderator = client_credentials(hub, operator, "petitions:moderate")
    published = requests.post(
        f"{petitions}/api/petitions/{petition_id}/moderation",
        json={"decision": "publish"},
        headers=bearer(moderator),
        timeout=10,
    )
    assert published.status_code == 200, published.text

    signatures = f"{petitions}/api/petitions/{petition_id}/signatures"
    # Marie keeps her own secret (as the pages' browser code does); the others let the hub make it.
    marie_secret = secrets.token_bytes(32)
    marie_commitment = hashlib.sha256(
        b"hub/v1/sig\n" + petition_id.encode() + b"\n" + marie_secret
    ).hexdigest()
    receipts = {}
    for who in people:
        body = {"commitment": marie_commitment} if who == "marie.dupont" else None
        signed = requests.post(signatures, json=body, headers=bearer(tokens[who]), timeout=10)
        assert signed.status_code == 201, signed.text
        receipts[who] = signed.json()["receipt"]
    assert receipts["marie.dupont"]["commitment"] == marie_commitment
    assert "receipt_secret" not in receipts["marie.dupont"]
    assert len(receipts["jean.martin"]["receipt_secret"]) == 64

    # Jean withdraws proving it with his secret; Sophie withdraws without hers (operator-proven).
    mine = f"{signatures}/me"
    withdrawn = requests.delete(
        mine,
        json={"receipt_secret": receipts["jean.martin"]["receipt_secret"]},
        headers=bearer(tokens["jean.martin"]),
        timeout=10,
    )
    assert withdrawn.status_code == 204, withdrawn.text
    assert (
        requests.delete(mine, headers=bearer(tokens["sophie.bernard"]), timeout=10).status_code
        == 204
    )

    # Marie's proof, once integrated, checks offline with her secret.
    proof = wait_for_proof(receipts["marie.dupont"]["proof_url"])
    assert proof.status_code == 200, proof.text
    proof_file = tmp_path / "marie.tlog-proof"
    proof_file.write_bytes(proof.content)
    vkey = requests.get(f"{tlog}/vkey", timeout=10).text.strip()
    checked = verify("receipt", str(proof_file), "--secret", marie_secret.hex(), "--vkey", vkey)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    wrong = verify("receipt", str(proof_file), "--secret", "00" * 32, "--vkey", vkey)
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr

    # The recount from the log alone equals the API's count, once the withdrawals are in the log.
    api_count = requests.get(f"{petitions}/api/petitions/{petition_id}", timeout=10).json()[
        "signature_count"
    ]
    assert api_count == 3
    deadline = time.monotonic() + 30
    while True:
        recount = verify(
            "recount", "--log", tlog, "--api", petitions, "--vkey", vkey, "--json", petition_id
        )
        result = json.loads(recount.stdout) if recount.stdout.strip() else {}
        if result.get("count") == api_count or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert recount.returncode == 0, recount.stdout + recount.stderr
    assert result["count"] == api_count == 3
    assert result["anomalies"] == []
    assert result["citizen_withdrawals"] == 1 and result["operator_withdrawals"] == 1

    # The agency archived the log's checkpoints; none carries anything personal.
    events = webhook_receiver.wait_for(
        lambda body: body["type"].endswith(CHECKPOINT_EVENT) and body["data"]["size"] >= 5
    )
    assert events[-1]["body"]["data"]["checkpoint"].startswith(hub_origin(tlog))
    for personal in (
        "marie",
        "dupont",
        "jean",
        "martin",
        receipts["jean.martin"]["receipt_secret"],
    ):
        assert personal not in str(webhook_receiver.received).lower()


def hub_origin(tlog: str) -> str:
    return tlog.split("://", 1)[1]
