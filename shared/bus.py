"""The bus: publishing envelopes the way nameko's event handlers consume them, and the topology.

Events go to the topic exchange ``<service>.events`` with the event type as routing key, exactly
where ``nameko.events.event_handler(<service>, <type>)`` listens.

NOTE: nameko publishes with ``mandatory=False``: an event whose queue does not exist yet vanishes.
So every process declares the queues of *every* consumer in the hub before anything publishes
(:func:`declare_consumer_queues`), whichever process happens to start first.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from typing import Any

from kombu import Connection, Exchange, Producer, Queue
from nameko.constants import HEADER_PREFIX
from nameko.events import EventHandler as NamekoEventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR


def event_exchange(source: str) -> Exchange:
    return Exchange(f"{source}.events", type="topic", durable=True, auto_delete=False)


class PublishNotConfirmed(ConnectionError):
    """The broker refused (nacked) or did not confirm a batch in time; it will be re-sent."""


class EnvelopePublisher:
    """Publishes batches of envelopes with publisher confirms, one confirm wait per batch.

    NOTE: kombu's ``confirm_publish`` waits for the broker's ack after every message, which caps
    a connection at about 1,200 messages/s here. A batch is published back to back on a channel
    in confirm mode and then waited for once (RabbitMQ acks cumulatively, ``multiple=True``),
    which is what the relay needs: it marks a batch sent only when all of it is confirmed.
    """

    def __init__(self, amqp_uri: str, source: str, confirm_timeout: float = 10.0) -> None:
        self.amqp_uri = amqp_uri
        self.exchange = event_exchange(source)
        self.confirm_timeout = confirm_timeout
        self._connection: Connection | None = None
        self._producer: Producer | None = None

    def __call__(self, envelopes: list[dict[str, Any]]) -> None:
        try:
            self._publish_confirmed(envelopes)
        except Exception:
            self.close()  # start afresh: a half-confirmed channel cannot be trusted
            raise

    def _publish_confirmed(self, envelopes: list[dict[str, Any]]) -> None:
        producer, state = self._ready()
        last = state["published"] + len(envelopes)
        for envelope in envelopes:
            producer.publish(
                envelope,
                routing_key=envelope["type"],
                message_id=envelope["id"],
                headers=_context_headers(envelope),
                delivery_mode=2,
                serializer="json",
            )
        state["published"] = last
        deadline = time.monotonic() + self.confirm_timeout
        while state["acked"] < last:
            if state["nacked"]:
                raise PublishNotConfirmed("the broker refused a message")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishNotConfirmed("the broker did not confirm in time")
            assert self._connection is not None
            self._connection.drain_events(timeout=remaining)
        if state["nacked"]:
            raise PublishNotConfirmed("the broker refused a message")

    def _ready(self) -> tuple[Producer, dict[str, int]]:
        if self._producer is None:
            self._connection = Connection(self.amqp_uri, connect_timeout=5)
            channel = self._connection.channel()
            state = {"published": 0, "acked": 0, "nacked": 0}

            def on_ack(tag: int, multiple: bool) -> None:
                state["acked"] = max(state["acked"], tag)

            def on_nack(tag: int, multiple: bool) -> None:
                state["nacked"] += 1

            channel.confirm_select()
            channel.events["basic_ack"].add(on_ack)
            channel.events["basic_nack"].add(on_nack)
            self.exchange(channel).declare()
            self._producer = Producer(channel, exchange=self.exchange)
            self._state = state
        return self._producer, self._state

    def close(self) -> None:
        if self._connection is not None:
            # closing a broken connection may fail too; it is being dropped either way
            with contextlib.suppress(Exception):
                self._connection.release()
        self._connection = None
        self._producer = None


def _context_headers(envelope: dict[str, Any]) -> dict[str, str]:
    # nameko turns "nameko.<key>" headers into the consuming worker's context data.
    cid = envelope.get("correlation_id")
    return {f"{HEADER_PREFIX}.correlation_id": cid} if cid else {}


def queue_arguments(queue_type: str) -> dict[str, str] | None:
    """Quorum queues (replicated, for a RabbitMQ cluster) are chosen when the queue is declared."""
    return {"x-queue-type": "quorum"} if queue_type == "quorum" else None


class EventHandler(NamekoEventHandler):
    """nameko's event handler, declaring its queue as the deployment asks (HUB_QUEUE_TYPE).

    NOTE: nameko declares classic queues; on a cluster the hub wants quorum queues, and a queue's
    type can only be set when it is first declared.
    """

    def setup(self) -> None:
        super().setup()
        settings = self.container.config.get("HUB_SETTINGS")
        self.queue.queue_arguments = queue_arguments(getattr(settings, "queue_type", "classic"))


event_handler = EventHandler.decorator


def consumer_queues(service_classes: Iterable[type], queue_type: str = "classic") -> list[Queue]:
    """The durable queues nameko will declare for the event handlers of these services."""
    queues = []
    for cls in service_classes:
        for name in dir(cls):
            method = getattr(cls, name, None)
            for ext in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(ext, NamekoEventHandler):
                    service = cls.name  # type: ignore[attr-defined]
                    queues.append(_queue_for(service, name, ext, queue_type))
    return queues


def _queue_for(
    service_name: str, method_name: str, handler: NamekoEventHandler, queue_type: str
) -> Queue:
    # Mirrors nameko.events.EventHandler.setup for the SERVICE_POOL handler type.
    return Queue(
        f"evt-{handler.source_service}-{handler.event_type}--{service_name}.{method_name}",
        exchange=event_exchange(handler.source_service),
        routing_key=handler.event_type,
        durable=True,
        auto_delete=False,
        exclusive=False,
        queue_arguments=queue_arguments(queue_type),
    )


def declare_consumer_queues(
    amqp_uri: str, service_classes: Iterable[type], queue_type: str = "classic"
) -> int:
    queues = consumer_queues(service_classes, queue_type)
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
