"""Before the test suite: say clearly if PostgreSQL or RabbitMQ does not answer."""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlsplit


def answers(url: str, default_port: int) -> tuple[str, int, bool]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=3):
            return host, port, True
    except OSError:
        return host, port, False


def main() -> int:
    checks = [
        (
            "PostgreSQL",
            os.environ.get(
                "HUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
            ),
            5432,
            "start it (Debian: pg_ctlcluster --skip-systemctl-redirect 15 main start)"
            " or set HUB_TEST_POSTGRES_URL",
        ),
        (
            "RabbitMQ",
            os.environ.get("HUB_TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
            5672,
            "start it (rabbitmq-server -detached) or set HUB_TEST_AMQP_URI",
        ),
    ]
    missing = 0
    for name, url, port, advice in checks:
        host, port, ok = answers(url, port)
        if not ok:
            print(f"make test: {name} does not answer at {host}:{port}; {advice}", file=sys.stderr)
            missing += 1
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
