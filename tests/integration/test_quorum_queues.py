"""On a RabbitMQ cluster the hub declares its consumer queues as quorum queues (HUB_QUEUE_TYPE)."""

from __future__ import annotations

import dataclasses
import subprocess
import time
import uuid
from urllib.parse import unquote, urlsplit

from shared.bus import EnvelopePublisher, declare_consumer_queues, event_handler
from shared.envelope import Envelope


def queue_types(amqp_uri: str) -> dict[str, str]:
    vhost = unquote(urlsplit(amqp_uri).path.lstrip("/")) or "/"
    out = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "type"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line.split("\t") for line in out.splitlines()[1:] if "\t" in line]
    return {name: kind for name, kind in rows}


def test_consumer_queues_are_quorum_queues_when_asked(start_service, settings, amqp_uri):
    source = "quorumtest" + uuid.uuid4().hex[:6]
    received: list[dict] = []

    class Listener:
        name = "listener" + uuid.uuid4().hex[:6]

        @event_handler(source, "thing.happened")
        def on_thing(self, body):
            received.append(body)

    quorum = dataclasses.replace(settings, queue_type="quorum")
    # Declared up front by every process (as `hub run` does), then by nameko itself: same type.
    assert declare_consumer_queues(amqp_uri, [Listener], "quorum") == 1
    start_service(Listener, process="petitions", settings_override=quorum)
    EnvelopePublisher(amqp_uri, source)(
        [Envelope(type="thing.happened", payload={}, source=source).to_dict()]
    )
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert received and received[0]["type"] == "thing.happened"
    queue = f"evt-{source}-thing.happened--{Listener.name}.on_thing"
    assert queue_types(amqp_uri)[queue] == "quorum"


def test_classic_queues_by_default(start_service, settings, amqp_uri):
    source = "classictest" + uuid.uuid4().hex[:6]

    class Listener:
        name = "listener" + uuid.uuid4().hex[:6]

        @event_handler(source, "thing.happened")
        def on_thing(self, body):
            pass

    start_service(Listener, process="petitions")
    queue = f"evt-{source}-thing.happened--{Listener.name}.on_thing"
    assert queue_types(amqp_uri)[queue] == "classic"
