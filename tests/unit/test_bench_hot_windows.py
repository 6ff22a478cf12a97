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


def test_steady_compares_the_halves_not_two_windows() -> None:
    from bench.hot import half_ratio, is_steady

    # 2026-12-02's full run: a high first window, no trend
    noisy = [9683.2, 7763.2, 7187.2, 8486.4, 6355.2, 7417.6, 8544.0, 8122.7, 8798.9, 8473.6]
    assert is_steady(noisy)
    assert half_ratio(noisy) == round((sum(noisy[5:]) / 5) / (sum(noisy[:5]) / 5), 3)
    falling = [9000.0, 8500.0, 8000.0, 6000.0, 5500.0, 5000.0]
    assert not is_steady(falling)
    assert half_ratio(falling) == round(5500 / 8500, 3)
    assert is_steady([7000.0])
    assert not is_steady([])
    assert half_ratio([1.0, 2.0, 3.0]) == 3.0  # the middle window is left out
