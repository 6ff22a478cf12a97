"""The hub's lean worker (shared.runtime.container) runs what nameko's does, in the same order."""

from __future__ import annotations

import logging

import pytest
import requests
from nameko.containers import get_container_cls
from nameko.extensions import DependencyProvider

from shared.runtime.container import CONTAINER_CLS, HubContainer, overriding
from shared.testing import free_port
from shared.web import HttpError, http, json_response

calls: list[str] = []


class Recorder(DependencyProvider):
    def get_dependency(self, worker_ctx):
        calls.append("inject")
        return "recorded"

    def worker_setup(self, worker_ctx):
        calls.append("setup")

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        calls.append(f"result:{'error' if exc_info else 'ok'}")

    def worker_teardown(self, worker_ctx):
        calls.append("teardown")


class Plain(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return "plain"


class Service:
    name = "lean"
    recorder = Recorder()
    plain = Plain()

    @http("GET", "/ok")
    def ok(self, request):
        calls.append(f"call:{self.recorder}:{self.plain}")
        return json_response({"ok": True})

    @http("GET", "/refused")
    def refused(self, request):
        raise HttpError(409, "refused", "no")

    @http("GET", "/broken")
    def broken(self, request):
        raise RuntimeError("a bug")


def test_only_the_hooks_a_provider_overrides_are_called():
    recorder, plain = Recorder(), Plain()
    assert overriding([recorder, plain], "worker_setup") == (recorder,)
    assert overriding([recorder, plain], "worker_teardown") == (recorder,)


@pytest.fixture(params=["lean", "debug"])
def lean_service(request):
    port = free_port()
    config = {
        "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/",
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
        "SERVICE_CONTAINER_CLS": CONTAINER_CLS,
    }
    container_log = logging.getLogger("nameko.containers")
    level = container_log.level
    if request.param == "debug":  # nameko's own method: the behaviour the lean one must keep
        container_log.setLevel(logging.DEBUG)
    container = get_container_cls(config)(Service, config)
    assert isinstance(container, HubContainer)
    container.start()
    calls.clear()
    yield f"http://127.0.0.1:{port}"
    container.stop()
    container_log.setLevel(level)


def test_a_worker_injects_sets_up_calls_reports_and_tears_down_in_order(lean_service):
    assert requests.get(f"{lean_service}/ok", timeout=5).json() == {"ok": True}
    assert calls == ["inject", "setup", "call:recorded:plain", "result:ok", "teardown"]


def test_failures_are_logged_and_reported_to_the_providers(lean_service, caplog):
    caplog.set_level(logging.WARNING, "nameko.containers")
    assert requests.get(f"{lean_service}/refused", timeout=5).status_code == 409
    assert requests.get(f"{lean_service}/broken", timeout=5).status_code == 500
    assert calls.count("result:error") == 2 and calls.count("teardown") == 2
    levels = [(r.levelno, r.exc_info is not None) for r in caplog.records]
    assert (logging.WARNING, True) in levels  # the expected error, with its trace
    assert (logging.ERROR, True) in levels  # the bug, with its trace


def test_the_services_run_in_the_lean_container():
    from shared.config import load_settings
    from shared.dependencies import nameko_config

    config = nameko_config(load_settings({}), "petitions")
    assert get_container_cls(config) is HubContainer


# --- HTTP workers run in the connection's green thread ------------------------------------------

running: list[int] = []
threads: list[object] = []


class Slow:
    name = "slow"

    @http("GET", "/slow")
    def slow(self, request):
        import eventlet

        threads.append(eventlet.getcurrent())
        running.append(1)
        peak = len(running)
        eventlet.sleep(float(request.args.get("seconds", "0.3")))
        running.pop()
        return json_response({"peak": peak})


@pytest.fixture
def slow_service():
    port = free_port()
    config = {
        "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/",
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
        "SERVICE_CONTAINER_CLS": CONTAINER_CLS,
        "max_workers": 2,
    }
    container = get_container_cls(config)(Slow, config)
    container.start()
    running.clear()
    threads.clear()
    yield container, f"http://127.0.0.1:{port}"
    container.kill()


def test_an_http_worker_runs_in_its_connections_thread_not_a_spawned_one(slow_service):
    container, url = slow_service
    with requests.Session() as session:  # one kept-alive connection
        for _ in range(2):
            assert session.get(f"{url}/slow?seconds=0", timeout=5).status_code == 200
    assert len(threads) == 2 and threads[0] is threads[1]  # the connection's, twice
    assert not container._worker_threads  # nothing spawned


def test_http_workers_take_the_pools_slots(slow_service):
    import eventlet

    container, url = slow_service
    pool = eventlet.GreenPool()
    answers = list(pool.imap(lambda _: requests.get(f"{url}/slow", timeout=10).json(), range(5)))
    assert max(a["peak"] for a in answers) == 2  # max_workers: the others waited for a slot
    assert container._worker_pool.running() == 0 and container._worker_pool.free() == 2


def test_stopping_waits_for_the_http_workers_under_way(slow_service):
    import eventlet

    container, url = slow_service
    answer = eventlet.spawn(requests.get, f"{url}/slow?seconds=0.5", timeout=10)
    eventlet.sleep(0.1)  # the worker is running
    assert container._worker_pool.running() == 1
    container.stop()  # returns once the worker has answered
    response = answer.wait()
    assert response.status_code == 200 and running == []
