"""Each service's registry carries the process's memory, CPU and garbage-collector figures."""

from __future__ import annotations

import gc

from shared.metrics import registry_for


def test_a_services_registry_has_process_and_gc_metrics() -> None:
    registry = registry_for("tests-process-metrics")
    rss = registry.get_sample_value("process_resident_memory_bytes")
    assert rss is not None and rss > 10 * 1024 * 1024
    assert registry.get_sample_value("process_cpu_seconds_total") is not None
    before = registry.get_sample_value("python_gc_collections_total", {"generation": "2"})
    gc.collect()
    after = registry.get_sample_value("python_gc_collections_total", {"generation": "2"})
    assert before is not None and after == before + 1


def test_the_registry_is_made_once_per_service() -> None:
    assert registry_for("tests-process-metrics-2") is registry_for("tests-process-metrics-2")
