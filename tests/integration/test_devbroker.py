"""`hub broker ensure` against the real rabbitmq-server of this machine.

The private node gets a tmp data dir and a free loopback port; the system broker (HUB_TEST_AMQP_URI,
by default 127.0.0.1:5672) must keep answering throughout.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from kombu import Connection

from hub.devbroker import (
    PrivateNode,
    _registered_with_epmd,
    ensure_broker,
    find_server,
    stop_private_broker,
)
from shared.bus import broker_reachable
from shared.config import Settings, load_settings
from shared.testing import free_port

SYSTEM_AMQP_URI = os.environ.get("HUB_TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")


def _settings(data_dir: Path, amqp_uri: str) -> Settings:
    return load_settings({"HUB_DATA_DIR": str(data_dir), "HUB_AMQP_URI": amqp_uri})


@pytest.fixture
def private_settings(tmp_path: Path) -> Iterator[Settings]:
    if find_server() is None:
        pytest.skip("rabbitmq-server is not installed on this machine")
    settings = _settings(tmp_path / "var", f"amqp://guest:guest@127.0.0.1:{free_port()}/")
    try:
        yield settings
    finally:
        stop_private_broker(settings)  # whatever the test did, leave no node running


def test_starts_a_private_node_and_stops_it(
    private_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert broker_reachable(SYSTEM_AMQP_URI), "the system broker should answer before the test"
    node = PrivateNode.for_settings(private_settings)

    assert ensure_broker(private_settings) == 0

    out = capsys.readouterr().out
    assert f"private RabbitMQ node {node.name} answers" in out
    assert "stop it with:" in out
    with Connection(private_settings.amqp_uri, connect_timeout=5) as conn:
        conn.ensure_connection(max_retries=1)
        assert conn.connected
        channel = conn.channel()  # a real AMQP session, not just an open port
        channel.close()
    assert (node.home / "mnesia").is_dir() and (node.home / ".erlang.cookie").is_file()
    assert broker_reachable(SYSTEM_AMQP_URI), "the system broker was disturbed"

    # A second `ensure` finds the node answering and starts nothing.
    assert ensure_broker(private_settings) == 0
    assert "answers at" in capsys.readouterr().out

    assert stop_private_broker(private_settings) == 0
    assert not broker_reachable(private_settings.amqp_uri)
    assert not _registered_with_epmd(node.name)
    assert broker_reachable(SYSTEM_AMQP_URI), "stopping the private node stopped the system one"


def test_an_answering_broker_starts_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not broker_reachable(SYSTEM_AMQP_URI):
        pytest.skip(f"no broker answers at {SYSTEM_AMQP_URI}")
    settings = _settings(tmp_path / "var", SYSTEM_AMQP_URI)

    assert ensure_broker(settings) == 0

    assert "RabbitMQ answers at" in capsys.readouterr().out
    assert not (tmp_path / "var").exists()
    assert not _registered_with_epmd(PrivateNode.for_settings(settings).name)


def test_an_unreachable_remote_host_is_refused_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never routed, so nothing answers there.
    settings = _settings(tmp_path / "var", "amqp://guest:guest@192.0.2.1:5672/")

    assert ensure_broker(settings) == 1

    err = capsys.readouterr().err
    assert "no RabbitMQ answers at 192.0.2.1:5672" in err
    assert "127.0.0.1/localhost" in err
    assert "Traceback" not in err
    assert not (tmp_path / "var").exists()
