"""A service's group commit (:class:`shared.batching.GroupCommit`) as a nameko dependency.

A subclass names its batch-size histogram and writes a batch in :meth:`GroupCommitDesk.write`
through :attr:`GroupCommitDesk.database`, the service's one :class:`Database`; its workers hand
items to :meth:`GroupCommitDesk.submit` and wait for their own results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from nameko.extensions import DependencyProvider
from prometheus_client import Histogram

from shared.batching import GroupCommit
from shared.dependencies import Database
from shared.metrics import ServiceMetrics, get_or_create

I = TypeVar("I")  # noqa: E741 - item
R = TypeVar("R")  # result


class GroupCommitDesk(DependencyProvider, Generic[I, R]):
    metric_name: str
    metric_help: str
    buckets: tuple[float, ...] = (1, 2, 5, 10, 20, 50, 100, 200)
    max_batch = 200
    flushers = 2  # one batch is written while the next one gathers

    def setup(self) -> None:
        databases = [d for d in self.container.dependencies if isinstance(d, Database)]
        if len(databases) != 1:
            name = type(self).__name__
            raise RuntimeError(f"{name} needs the service's one Database dependency")
        self.database = databases[0]
        sizes = get_or_create(
            ServiceMetrics(self.container.service_name).registry,
            Histogram,
            self.metric_name,
            self.metric_help,
            buckets=self.buckets,
        )
        self.group: GroupCommit[I, R] = GroupCommit(
            self.write, self.max_batch, self.flushers, on_batch=sizes.observe
        )

    def start(self) -> None:
        self.group.start(self.container.spawn_managed_thread)

    def stop(self) -> None:
        self.group.stop()

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self

    def submit(self, item: I) -> R:
        """The item's result once its batch is written, or raise its failure."""
        return self.group.submit(item)

    def write(self, items: Sequence[I]) -> Sequence[R | BaseException]:
        raise NotImplementedError
