"""bench.http_floor serves each layer for real and reads the child's CPU."""

from __future__ import annotations

import pytest

from bench.http_floor import LAYERS, measure


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_answers_and_is_measured(layer):
    figures = measure(layer, requests=1000, connections=2)
    assert figures["requests_per_second"] > 0
    assert 0 < figures["server_cpu_us"] < 100_000
