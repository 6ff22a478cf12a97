"""Creating and removing what one test run needs on the real servers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from shared.config import SERVICES
from shared.migrations import upgrade
from shared.testing import free_port


def create_databases(admin_url: str, prefix: str) -> dict[str, str]:
    urls = {}
    with _autocommit(admin_url) as cur:
        for service in SERVICES:
            name = f"{prefix}_{service}"
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            urls[service] = _with_database(admin_url, name)
    for service, url in urls.items():
        upgrade(service, url)
    return urls


def drop_databases(admin_url: str, urls: dict[str, str]) -> None:
    with _autocommit(admin_url) as cur:
        for url in urls.values():
            name = urlsplit(url).path.lstrip("/")
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class _autocommit:
    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+psycopg2://", "postgresql://")

    def __enter__(self) -> Any:
        self.conn = psycopg2.connect(self.url)
        self.conn.autocommit = True
        return self.conn.cursor()

    def __exit__(self, *exc: Any) -> None:
        self.conn.close()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    scheme = "postgresql+psycopg2"
    return urlunsplit((scheme, parts.netloc, f"/{name}", parts.query, ""))


def create_vhost(base_uri: str, vhost: str) -> str:
    user = urlsplit(base_uri).username or "guest"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
    parts = urlsplit(base_uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))


def drop_vhost(base_uri: str, vhost: str) -> None:
    _rabbitmqctl("delete_vhost", vhost)


def _rabbitmqctl(*args: str) -> None:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    if not Path(ctl).exists():
        raise RuntimeError("rabbitmqctl is needed to give each test run its own vhost")
    result = subprocess.run([ctl, "-q", *args], capture_output=True, text=True, timeout=60)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {result.stderr.strip()}")


def hub_environment(database_urls: dict[str, str], amqp_uri: str, data_dir: Path) -> dict[str, str]:
    env = {
        "HUB_ENV": "test",
        "HUB_DATA_DIR": str(data_dir),
        "HUB_AMQP_URI": amqp_uri,
        "HUB_WEBHOOK_ALLOW_PRIVATE": "on",
        "IDENTITY_DATABASE_URL": database_urls["identity"],
        "PETITIONS_DATABASE_URL": database_urls["petitions"],
        "NOTIFICATIONS_DATABASE_URL": database_urls["notifications"],
        "TRANSPARENCY_DATABASE_URL": database_urls["transparency"],
    }
    for prefix in ("IDENTITY", "PETITIONS", "NOTIFICATIONS", "TRANSPARENCY", "MOCK_IDP"):
        port = free_port()
        env[f"{prefix}_PORT"] = str(port)
        env[f"{prefix}_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
        env[f"{prefix}_METRICS_PORT"] = str(free_port())
    return env


def create_service_database(admin_url: str, name: str, service: str) -> str:
    """One more database ``name`` for ``service``, migrated (for tests that need a fresh one)."""
    with _autocommit(admin_url) as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _with_database(admin_url, name)
    upgrade(service, url)
    return url
