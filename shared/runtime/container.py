"""nameko's service container, with a leaner worker.

For every request, message and timer tick nameko's ``ServiceContainer._run_worker`` formats the
worker's call-id stack for a debug line (a new uuid4 each time, logged or not), times five steps
with context managers for more debug lines, and calls each dependency provider's
``worker_setup``, ``worker_result`` and ``worker_teardown``, most of them the base class's empty
methods.

:class:`HubContainer` runs the same steps in the same order, with the same logging of a failed
worker, but calls only the hooks a provider overrides and skips the debug bookkeeping while the
``nameko.containers`` logger drops debug lines. With debug on, it is nameko's own method.
Selected with nameko's ``SERVICE_CONTAINER_CLS`` setting (:func:`shared.runtime.container_class`,
which :func:`shared.dependencies.nameko_config` asks).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import eventlet
from nameko.containers import ServiceContainer, WorkerContext
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import DependencyProvider

CONTAINER_CLS = "shared.runtime.container.HubContainer"
_log = logging.getLogger("nameko.containers")  # the logger nameko's container logs with
_HOOKS = ("worker_setup", "worker_result", "worker_teardown")


def overriding(providers: Any, hook: str) -> tuple[Any, ...]:
    """The providers whose ``hook`` is not DependencyProvider's empty one."""
    base = getattr(DependencyProvider, hook)
    return tuple(p for p in providers if getattr(type(p), hook, base) is not base)


class HubContainer(ServiceContainer):
    _hooks: dict[str, tuple[Any, ...]] | None = None

    def _hooks_of(self) -> dict[str, tuple[Any, ...]]:
        # NOTE: the dependencies are fixed once the container is built; asked on the first worker.
        hooks = self._hooks
        if hooks is None:
            hooks = self._hooks = {hook: overriding(self.dependencies, hook) for hook in _HOOKS}
        return hooks

    def _run_worker(self, worker_ctx: Any, handle_result: Any) -> None:
        if _log.isEnabledFor(logging.DEBUG):
            super()._run_worker(worker_ctx, handle_result)
            return
        hooks = self._hooks_of()
        service = worker_ctx.service
        for provider in self.dependencies:
            setattr(service, provider.attr_name, provider.get_dependency(worker_ctx))
        for provider in hooks["worker_setup"]:
            provider.worker_setup(worker_ctx)

        result = exc_info = None
        method = getattr(service, worker_ctx.entrypoint.method_name)
        try:
            result = method(*worker_ctx.args, **worker_ctx.kwargs)
        except Exception as exc:
            if isinstance(exc, worker_ctx.entrypoint.expected_exceptions):
                _log.warning(
                    "(expected) error handling worker %s: %s", worker_ctx, exc, exc_info=True
                )
            else:
                _log.exception("error handling worker %s: %s", worker_ctx, exc)
            exc_info = sys.exc_info()

        if handle_result is not None:
            result, exc_info = handle_result(worker_ctx, result, exc_info)
        for provider in hooks["worker_result"]:
            provider.worker_result(worker_ctx, result, exc_info)
        del exc_info  # as nameko does: breaks the traceback's reference cycle at once
        for provider in hooks["worker_teardown"]:
            provider.worker_teardown(worker_ctx)

    def run_worker_here(
        self, entrypoint: Any, args: Any, kwargs: Any, context_data: dict[str, Any]
    ) -> Any:
        """``spawn_worker`` and the wait for its result, in the calling green thread: the
        worker's result, or its exception raised.

        For HTTP: nameko spawns a green thread per request and the connection's thread waits on
        an Event for it (a thread created and scheduled, a frame stack mapped and unmapped, two
        more switches and a timer, about a seventh of a small answer's server CPU). The bounds
        and the shutdown are nameko's: the worker takes a slot of the same pool (``max_workers``,
        waiting for one like ``spawn_worker``), and ``stop`` waits for it as for any worker.
        """
        if self._being_killed:
            raise ContainerBeingKilled()
        pool = self._worker_pool
        current = eventlet.getcurrent()
        pool.sem.acquire()
        if not pool.coroutines_running:
            pool.no_coros_running = eventlet.Event()
        pool.coroutines_running.add(current)
        outcome: list[Any] = []

        def keep(worker_ctx: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
            outcome[:] = [result, exc_info]
            return result, exc_info

        try:
            worker_ctx = WorkerContext(
                self, self.service_cls(), entrypoint, args, kwargs, data=context_data
            )
            self._run_worker(worker_ctx, keep)
        finally:
            pool._spawn_done(current)
        result, exc_info = outcome
        if exc_info is not None:
            try:
                raise exc_info[1].with_traceback(exc_info[2])
            finally:
                del exc_info  # breaks the traceback's reference cycle, as nameko does
        return result
