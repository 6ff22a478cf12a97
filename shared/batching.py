"""Group commit: concurrent requests share one transaction.

A signature costs a handful of database round trips and a commit whichever way it is written; a
hundred concurrent signatures written one transaction each cost a hundred times that, and queue
for connections. :class:`GroupCommit` lets each worker hand its item over and wait: a few flusher
threads take whatever has queued (up to ``max_batch``), process it in one call, and hand each
worker its own result. Under no load a batch is one item and nothing waits for company; under load
batches grow by themselves while the previous one is being written (no timer, no added latency).

The processing function gets the items and returns one result per item, in order: a value, or an
exception to raise in that item's worker. If the whole call fails, every worker of the batch gets
that error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from eventlet.event import Event
from eventlet.queue import Empty, LightQueue

log = logging.getLogger(__name__)

I = TypeVar("I")  # noqa: E741 - item
R = TypeVar("R")  # result

STOP = object()


class _Slot(Generic[I]):
    __slots__ = ("item", "done")

    def __init__(self, item: I) -> None:
        self.item = item
        self.done: Event = Event()


class GroupCommit(Generic[I, R]):
    def __init__(
        self,
        process: Callable[[Sequence[I]], Sequence[R | BaseException]],
        max_batch: int = 200,
        flushers: int = 2,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._process = process
        self._max_batch = max_batch
        self._flushers = flushers
        self._on_batch = on_batch
        self._queue: LightQueue = LightQueue()
        self._threads: list[Any] = []

    def start(self, spawn: Callable[[Callable[[], None]], Any]) -> None:
        """Start the flushers with ``spawn`` (a container's spawn_managed_thread)."""
        self._threads = [spawn(self._run) for _ in range(self._flushers)]

    def stop(self) -> None:
        """Finish what has queued, then end the flushers."""
        for _ in self._threads:
            self._queue.put(STOP)
        for thread in self._threads:
            thread.wait()
        self._threads = []

    def submit(self, item: I) -> R:
        """Queue ``item``, wait for its batch, return its result (or raise its error)."""
        if not self._threads:
            raise RuntimeError("the group commit is not running")
        slot: _Slot[I] = _Slot(item)
        self._queue.put(slot)
        outcome = slot.done.wait()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome  # type: ignore[no-any-return]

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is STOP:
                return
            batch = [first]
            stop_after = False
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except Empty:
                    break
                if more is STOP:
                    stop_after = True
                    break
                batch.append(more)
            self._flush(batch)
            if stop_after:
                return

    def _flush(self, batch: list[_Slot[I]]) -> None:
        try:
            results = list(self._process([slot.item for slot in batch]))
            if len(results) != len(batch):
                raise RuntimeError(f"{len(results)} results for a batch of {len(batch)}")
        except Exception as exc:  # noqa: BLE001 - every waiter of the batch gets the error
            log.warning("a batch of %d failed: %s", len(batch), exc.__class__.__name__)
            results = [exc] * len(batch)
        if self._on_batch:
            self._on_batch(len(batch))
        for slot, result in zip(batch, results, strict=True):
            slot.done.send(result)


def each_alone_if_together_fails(
    together: Callable[[Sequence[I]], Sequence[R]], items: Sequence[I], what: str
) -> list[R | BaseException]:
    """``together(items)``; if that fails, ``together([item])`` for each item, so that one bad
    item costs only itself (its result is then its exception)."""
    try:
        return list(together(items))
    except Exception:
        if len(items) == 1:
            raise
        log.warning("a batch of %d %s failed; writing each alone", len(items), what)
    results: list[R | BaseException] = []
    for item in items:
        try:
            results.extend(together([item]))
        except Exception as exc:  # noqa: BLE001 - that item's waiter gets it
            results.append(exc)
    return results
