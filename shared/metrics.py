"""Prometheus metrics, served from their own port so scrapes never queue behind busy workers.

Names follow ``hub_<service>_<what>_<unit>``, counters end in ``_total``; labels never carry a
citizen's id.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    ProcessCollector,
    start_http_server,
)

log = logging.getLogger(__name__)

_registry_by_service: dict[str, CollectorRegistry] = {}


def registry_for(service: str) -> CollectorRegistry:
    """One registry per service in this process (tests run several services in one process).

    Besides the hub's own metrics it carries what prometheus_client's default registry would:
    the process's resident memory, CPU seconds and open descriptors (``process_*``), and the
    garbage collector's collections (``python_gc_*``). With several processes per service
    (:func:`serve_group_metrics`) prometheus_client cannot sum those, and they are left out.
    """
    registry = _registry_by_service.get(service)
    if registry is None:
        registry = _registry_by_service[service] = CollectorRegistry()
        ProcessCollector(registry=registry)
        GCCollector(registry=registry)
    return registry


def serve_metrics(port: int, host: str, service: str) -> None:
    """Serve ``GET /metrics`` for ``service`` on its own port, in a thread of its own."""
    start_http_server(port, addr=host, registry=registry_for(service))


def serve_group_metrics(port: int, host: str, directory: str) -> None:
    """Serve the metrics of several processes of one service, summed (prometheus_client's
    multiprocess mode: each process writes its values under ``directory``)."""
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    start_http_server(port, addr=host, registry=registry)


class ServiceMetrics:
    """The metrics every service has; services add their own on the same registry."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = registry_for(service)
        prefix = f"hub_{service}"
        self.requests = _get_or_create(
            self.registry,
            Counter,
            f"{prefix}_entrypoint_calls_total",
            "Entrypoint calls by entrypoint and outcome (ok, client_error, error).",
            ["entrypoint", "outcome"],
        )
        self.duration = _get_or_create(
            self.registry,
            Histogram,
            f"{prefix}_entrypoint_duration_seconds",
            "Entrypoint duration in seconds.",
            ["entrypoint"],
        )
        self.outbox_backlog = _get_or_create(
            self.registry, Gauge, f"{prefix}_outbox_backlog_events", "Events waiting in the outbox."
        )
        self.outbox_oldest_age = _get_or_create(
            self.registry,
            Gauge,
            f"{prefix}_outbox_oldest_event_age_seconds",
            "Age of the oldest unsent event in the outbox.",
        )
        self.relay_published = _get_or_create(
            self.registry,
            Counter,
            f"{prefix}_outbox_published_events_total",
            "Events published by the relay.",
        )
        self.token_failures = _get_or_create(
            self.registry,
            Counter,
            f"{prefix}_token_verification_failures_total",
            "Access tokens refused, by reason.",
            ["reason"],
        )
        self.jwks_refreshes = _get_or_create(
            self.registry,
            Counter,
            f"{prefix}_jwks_refreshes_total",
            "JWKS fetched from the issuer.",
        )
        self.relay_publish_duration = _get_or_create(
            self.registry,
            Histogram,
            f"{prefix}_outbox_publish_duration_seconds",
            "Time to publish one batch of events and have the broker confirm it.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.event_lag = _get_or_create(
            self.registry,
            Histogram,
            f"{prefix}_event_lag_seconds",
            "Consumer lag: from an event's creation to its handling here, by event type.",
            ["event_type"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
        )
        self.db_pool_in_use = _get_or_create(
            self.registry,
            Gauge,
            f"{prefix}_db_pool_connections_in_use",
            "Database connections checked out of the pool.",
            multiprocess_mode="livesum",
        )
        self.db_pool_size = _get_or_create(
            self.registry,
            Gauge,
            f"{prefix}_db_pool_size_connections",
            "Size of the pool.",
            multiprocess_mode="livesum",
        )

    def observe_event_lag(self, event_type: str, event_time: str) -> None:
        """Record how long an event took from its creation to this consumer."""
        from datetime import datetime

        from shared.clock import utcnow

        try:
            created = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
        except ValueError:
            return
        self.event_lag.labels(event_type).observe(max(0.0, (utcnow() - created).total_seconds()))


def get_or_create(
    registry: CollectorRegistry, kind: type, name: str, doc: str, labels: Any = (), **kwargs: Any
) -> Any:
    """The collector ``name`` of ``registry``, made on first use (containers restart in tests)."""
    base = name[: -len("_total")] if name.endswith("_total") else name
    existing = registry._names_to_collectors.get(base) or registry._names_to_collectors.get(name)
    if existing is not None:
        return existing
    if kind is Gauge:
        # NOTE: with several processes per service (multiprocess mode) a gauge of shared state
        # (a backlog, a key's age: every process sees the same database) is their maximum;
        # per-process quantities say livesum.
        kwargs.setdefault("multiprocess_mode", "max")
    return kind(name, doc, labels, registry=registry, **kwargs)


_get_or_create = get_or_create


class EntrypointMetrics(DependencyProvider):
    """RED metrics for every entrypoint of the service it is declared on."""

    def __init__(self) -> None:
        self._started: dict[Any, float] = {}

    def setup(self) -> None:
        self.metrics = ServiceMetrics(self.container.service_name)

    def get_dependency(self, worker_ctx: Any) -> ServiceMetrics:
        return self.metrics

    def worker_setup(self, worker_ctx: Any) -> None:
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(worker_ctx, None)
        name = worker_ctx.entrypoint.method_name
        if started is not None:
            self.metrics.duration.labels(name).observe(time.perf_counter() - started)
        self.metrics.requests.labels(name, _outcome(result, exc_info)).inc()


def _outcome(result: Any, exc_info: Any) -> str:
    from shared.web import HttpError

    if exc_info is not None:
        exc = exc_info[1]
        if isinstance(exc, HttpError) and exc.status < 500:
            return "client_error"
        return "error"
    status = getattr(result, "status_code", 200)
    if isinstance(status, int) and 400 <= status < 500:
        return "client_error"
    if isinstance(status, int) and status >= 500:
        return "error"
    return "ok"
