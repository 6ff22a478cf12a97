"""Private RabbitMQ and PostgreSQL for fault tests: ours to restart, never the machine's.

- :class:`PrivatePostgres`: a throwaway cluster (``initdb`` + ``pg_ctl``) in a temporary
  directory, on a free loopback port; PostgreSQL refuses to run as root, so as root it runs as the
  ``postgres`` OS user, in a directory that user owns.
- :class:`PrivateBroker`: a private RabbitMQ node (``hub.devbroker``: its own data dir, node
  name, cookie and ports).
- :class:`SharedBrokerVhost`: the short version's cheaper stand-in, a vhost of the shared broker
  whose client connections we cut (``rabbitmqctl close_all_connections -p <vhost>``); the other
  vhosts, and the engineers using them, never notice.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from shared.testing import free_port

PG_START_TIMEOUT = 60


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} (PostgreSQL server binaries) is needed for the fault tests")
    return path


class PrivatePostgres:
    """A PostgreSQL cluster of our own; :meth:`restart` is a crash (``-m immediate``) by default."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="hub-faults-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = PG_START_TIMEOUT) -> None:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(  # noqa: S603 - our own arguments
            command, capture_output=True, text=True, timeout=timeout, cwd=self.root
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        if not self.data.exists():
            self._run(
                _pg_bin("initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=300"
        )
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "postgres.log"),
            "-w",
            "-t",
            str(PG_START_TIMEOUT),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, down_seconds: float = 1.0, mode: str = "immediate") -> None:
        """Stop (``immediate`` is what a crash looks like to clients), stay down, start again."""
        self.stop(mode)
        time.sleep(down_seconds)
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateBroker:
    """A private RabbitMQ node started and stopped through ``hub.devbroker``."""

    def __init__(self) -> None:
        from shared.config import load_settings

        self.root = Path(tempfile.mkdtemp(prefix="hub-faults-rmq-"))
        self.port = free_port()
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.settings = load_settings(
            {"HUB_DATA_DIR": str(self.root), "HUB_AMQP_URI": self.amqp_uri}
        )

    def start(self) -> None:
        from hub.devbroker import ensure_broker

        if ensure_broker(self.settings) != 0:
            raise RuntimeError(f"the private RabbitMQ node did not start (see {self.root})")

    def stop(self) -> None:
        from hub.devbroker import stop_private_broker

        stop_private_broker(self.settings)

    def restart(self, down_seconds: float = 1.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class SharedBrokerVhost:
    """A vhost of the shared broker; :meth:`restart` cuts every client connection to it."""

    def __init__(self, base_uri: str, vhost: str) -> None:
        self.base_uri = base_uri
        self.vhost = vhost
        parts = urlsplit(base_uri)
        self.amqp_uri = urlunsplit(
            (parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", "")
        )

    def start(self) -> None:
        from tests.infra import create_vhost

        create_vhost(self.base_uri, self.vhost)

    def restart(self, down_seconds: float = 0.0) -> None:
        from tests.infra import _rabbitmqctl

        _rabbitmqctl("close_all_connections", "-p", self.vhost, "fault test: broker restart")
        time.sleep(down_seconds)

    def destroy(self) -> None:
        from tests.infra import drop_vhost

        with contextlib.suppress(Exception):
            drop_vhost(self.base_uri, self.vhost)
