"""The garbage collector's settings once a service has started (in place of Python's defaults).

Start-up leaves many objects that live as long as the process (modules, routes, templates):
with the default thresholds every full collection walks them all and holds every request
meanwhile. ``gc.freeze()`` moves them out of the collector's sight, and a higher first threshold
lets requests' short-lived objects die by reference count before a collection looks at them.
Cycles are still collected, later; memory stays bounded (a young generation is at most
``GC_THRESHOLDS[0]`` objects). Measured in docs/capacity.md ("The garbage collector").
"""

from __future__ import annotations

import gc

# Collect the youngest generation after this many new container objects instead of Python's 700.
GC_THRESHOLDS = (50_000, 10, 10)


def settle() -> int:
    """Freeze what start-up made and collect less often; how many objects were frozen."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return gc.get_freeze_count()
