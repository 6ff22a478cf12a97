"""The hot petition's throughput windows end when the first worker finishes."""

from __future__ import annotations

from collections import Counter

from bench.hot import throughput_windows


def test_windows_stop_where_the_first_worker_finished() -> None:
    # two workers at 100 signatures per tenth each for 3 s, then one alone for 1.5 s
    tenths: Counter[int] = Counter()
    for t in range(1000, 1030):
        tenths[t] += 200
    for t in range(1030, 1045):
        tenths[t] += 100
    windows, end = throughput_windows(tenths, [1029, 1044], step=10)
    assert end == 1029
    assert windows == [2000.0, 2000.0, 2000.0]


def test_only_whole_windows_count() -> None:
    tenths = Counter({t: 10 for t in range(0, 25)})
    windows, end = throughput_windows(tenths, [24, 24], step=10)
    assert end == 24
    assert windows == [100.0, 100.0]  # tenths 20-24 make half a window: left out


def test_a_slowing_hub_still_shows() -> None:
    tenths = Counter({t: (10 if t < 20 else 5) for t in range(0, 40)})
    windows, _ = throughput_windows(tenths, [39, 39], step=20)
    assert windows == [100.0, 50.0]
