"""The bus: publishing envelopes the way nameko's event handlers consume them, and the topology.

Events go to the topic exchange ``<service>.events`` with the event type as routing key, exactly
where ``nameko.events.event_handler(<service>, <type>)`` listens.

NOTE: nameko publishes with ``mandatory=False``: an event whose queue does not exist yet vanishes.
So every process declares the queues of *every* consumer in the hub before anything publishes
(:func:`declare_consumer_queues`), whichever process happens to start first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.constants import HEADER_PREFIX
from nameko.events import EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR


def event_exchange(source: str) -> Exchange:
    return Exchange(f"{source}.events", type="topic", durable=True, auto_delete=False)


class EnvelopePublisher:
    """Publishes batches of envelopes with publisher confirms (one confirm wait per message)."""

    def __init__(self, amqp_uri: str, source: str) -> None:
        self.exchange = event_exchange(source)
        self._publisher = Publisher(
            amqp_uri, use_confirms=True, exchange=self.exchange, declare=[self.exchange]
        )

    def __call__(self, envelopes: list[dict[str, Any]]) -> None:
        for envelope in envelopes:
            headers = {}
            if envelope.get("correlation_id"):
                headers[f"{HEADER_PREFIX}.correlation_id"] = envelope["correlation_id"]
            self._publisher.publish(
                envelope,
                routing_key=envelope["type"],
                message_id=envelope["id"],
                headers=headers,
                delivery_mode=2,
            )


def consumer_queues(service_classes: Iterable[type]) -> list[Queue]:
    """The durable queues nameko will declare for the event handlers of these services."""
    queues = []
    for cls in service_classes:
        for name in dir(cls):
            method = getattr(cls, name, None)
            for ext in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(ext, EventHandler):
                    queues.append(_queue_for(cls.name, name, ext))  # type: ignore[attr-defined]
    return queues


def _queue_for(service_name: str, method_name: str, handler: EventHandler) -> Queue:
    # Mirrors nameko.events.EventHandler.setup for the SERVICE_POOL handler type.
    return Queue(
        f"evt-{handler.source_service}-{handler.event_type}--{service_name}.{method_name}",
        exchange=event_exchange(handler.source_service),
        routing_key=handler.event_type,
        durable=True,
        auto_delete=False,
        exclusive=False,
    )


def declare_consumer_queues(amqp_uri: str, service_classes: Iterable[type]) -> int:
    queues = consumer_queues(service_classes)
    with Connection(amqp_uri, connect_timeout=5) as conn:
        channel = conn.channel()
        for queue in queues:
            queue(channel).declare()
        channel.close()
    return len(queues)


def broker_reachable(amqp_uri: str, timeout: float = 2.0) -> bool:
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
