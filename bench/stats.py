"""Percentiles (nearest rank) of raw samples."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def percentile(sorted_values: Sequence[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def percentiles(
    values: Iterable[float], ps: Iterable[float], scale: float = 1.0
) -> dict[str, float | None]:
    ordered = sorted(values)
    out: dict[str, float | None] = {}
    for p in ps:
        key = f"p{p:g}".replace(".", "_")
        out[key] = round(percentile(ordered, p) * scale, 3) if ordered else None
    out["samples"] = len(ordered)
    return out
