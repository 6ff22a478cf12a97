"""The walking skeleton, end to end: identity, petitions and notifications over the real broker.

Four processes started by `hub up` (what `make run` runs); a citizen signs in through the mock
identity provider, creates a petition; an operator publishes it; citizens sign it once each (also
when the same person comes through another client); an agency's webhook endpoint receives the
published and count events, signed per Standard Webhooks, as CloudEvents.
"""

from __future__ import annotations

import subprocess

import requests

from tests.e2e.conftest import citizen_login, client_credentials

PUBLIC_TYPES = ("petition.published", "petition.signature_count_changed")


def metrics_of(hub, service: str) -> str:
    port = hub.env[f"{service.upper()}_METRICS_PORT"]
    return requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_petition_is_created_published_signed_and_announced_to_an_agency(hub, webhook_receiver):
    petitions = hub.url("petitions")
    notifications = hub.url("notifications")
    web_app = hub.cli(
        "clients",
        "create",
        "--name",
        "Petitions web",
        "--kind",
        "service-provider",
        "--redirect-uri",
        "http://127.0.0.1:1/callback",
    )
    partner_app = hub.cli(
        "clients",
        "create",
        "--name",
        "Partner app",
        "--kind",
        "service-provider",
        "--redirect-uri",
        "http://127.0.0.1:2/cb",
    )
    operator = hub.cli("clients", "create", "--name", "Moderation desk", "--kind", "operator")
    agency = hub.cli("clients", "create", "--name", "Préfecture", "--kind", "agency")

    # The agency subscribes its endpoint.
    agency_token = client_credentials(hub, agency, "events:subscribe")
    subscription = requests.post(
        f"{notifications}/api/subscriptions",
        json={"url": webhook_receiver.url, "event_types": list(PUBLIC_TYPES)},
        headers=bearer(agency_token),
        timeout=10,
    )
    assert subscription.status_code == 201, subscription.text
    webhook_receiver.secret = subscription.json()["secret"]

    # A citizen signs in and creates a petition; an operator publishes it.
    alice = citizen_login(hub, web_app, "marie.dupont")["access_token"]
    created = requests.post(
        f"{petitions}/api/petitions",
        json={
            "title": "Open the school yards on Sundays",
            "text": "Children need room to play every day of the week.",
        },
        headers=bearer(alice),
        timeout=10,
    )
    assert created.status_code == 201, created.text
    petition_id = created.json()["id"]
    operator_token = client_credentials(hub, operator, "petitions:moderate")
    published = requests.post(
        f"{petitions}/api/petitions/{petition_id}/moderation",
        json={"decision": "publish"},
        headers=bearer(operator_token),
        timeout=10,
    )
    assert published.status_code == 200, published.text

    # Two citizens sign; the first again through another client is still the same citizen.
    signatures_url = f"{petitions}/api/petitions/{petition_id}/signatures"
    assert requests.post(signatures_url, headers=bearer(alice), timeout=10).status_code == 201
    bob = citizen_login(hub, web_app, "jean.martin")["access_token"]
    assert requests.post(signatures_url, headers=bearer(bob), timeout=10).status_code == 201
    alice_elsewhere = citizen_login(hub, partner_app, "marie.dupont")["access_token"]
    again = requests.post(signatures_url, headers=bearer(alice_elsewhere), timeout=10)
    assert again.status_code == 409 and again.json()["error"] == "already_signed"
    assert (
        requests.get(f"{petitions}/api/petitions/{petition_id}", timeout=10).json()[
            "signature_count"
        ]
        == 2
    )

    # The agency hears of it, signed and shaped as promised, without any citizen's identity.
    def about(kind):
        return lambda body: (
            body["type"].endswith(kind) and body["data"]["petition_id"] == petition_id
        )

    published_event = webhook_receiver.wait_for(about("petition.published"))[0]
    counts = webhook_receiver.wait_for(
        lambda b: about("petition.signature_count_changed")(b) and b["data"]["signature_count"] == 2
    )
    assert published_event["headers"]["content-type"].startswith(
        "application/cloudevents+json"
    ) or published_event["headers"]["Content-Type"].startswith("application/cloudevents+json")
    body = published_event["body"]
    assert body["specversion"] == "1.0" and body["id"] and body["source"]
    assert published_event["headers"]["webhook-id"] == body["id"]
    assert counts[0]["body"]["data"]["signature_count"] == 2
    assert webhook_receiver.rejected == []
    everything = str(webhook_receiver.received)
    for personal in ("Marie", "DUPONT", "Jean", "MARTIN"):
        assert personal not in everything

    # Each service is ready and serves its metrics on its own port.
    for service in ("identity", "petitions", "notifications"):
        assert requests.get(hub.url(service) + "/readyz", timeout=10).status_code == 200
        assert f"hub_{service}_entrypoint_calls_total" in metrics_of(hub, service)
    petitions_metrics = metrics_of(hub, "petitions")
    assert (
        'hub_petitions_entrypoint_calls_total{entrypoint="sign",outcome="ok"} 2.0'
        in petitions_metrics
    )
    assert 'hub_petitions_signatures_total{outcome="accepted"} 2.0' in petitions_metrics
    assert 'hub_petitions_signatures_total{outcome="already_signed"} 1.0' in petitions_metrics
    subscription_id = subscription.json()["id"]
    attempts = [
        line
        for line in metrics_of(hub, "notifications").splitlines()
        if line.startswith("hub_notifications_webhook_attempts_total{")
    ]
    assert any(
        f'subscription="{subscription_id}"' in line and 'outcome="success"' in line
        for line in attempts
    ), attempts
    for service in ("identity", "petitions", "notifications"):
        lint = subprocess.run(
            ["promtool", "check", "metrics"],
            input=metrics_of(hub, service),
            text=True,
            capture_output=True,
        )
        assert lint.returncode == 0, f"{service}: {lint.stdout}{lint.stderr}"

    # Ctrl-C stops all four processes cleanly.
    assert hub.stop() == 0
    assert "Traceback" not in hub.log()
