"""What one bench run needs on the real servers: databases, a vhost, test identities.

Everything created here is named after the run id and removed by :meth:`Infra.teardown` (also
after a failure or Ctrl-C: the entry point calls it in ``finally``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import yaml
from psycopg2 import sql

from shared.config import SERVICES

EXTRA_DATABASES = ("ceiling",)  # the INSERT ceiling's own database (not a service's)


class Infra:
    def __init__(self, admin_url: str, amqp_base: str, run_id: str) -> None:
        self.admin_url = admin_url.replace("postgresql+psycopg2://", "postgresql://")
        self.amqp_base = amqp_base
        self.run_id = run_id
        self.vhost = f"hub-bench-{run_id}"
        self.database_urls: dict[str, str] = {}
        self.amqp_uri = ""
        self._vhost_created = False
        self.max_connections = 0

    def setup(self) -> None:
        from shared.migrations import upgrade

        with _autocommit(self.admin_url) as cur:
            cur.execute("SHOW max_connections")
            self.max_connections = int(cur.fetchone()[0])
            for name in (*SERVICES, *EXTRA_DATABASES):
                db = f"hub_bench_{self.run_id}_{name}"
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
                self.database_urls[name] = _with_database(self.admin_url, db)
        for service in SERVICES:
            upgrade(service, self.database_urls[service])
        _rabbitmqctl("add_vhost", self.vhost)
        self._vhost_created = True
        user = urlsplit(self.amqp_base).username or "guest"
        _rabbitmqctl("set_permissions", "-p", self.vhost, user, ".*", ".*", ".*")
        parts = urlsplit(self.amqp_base)
        self.amqp_uri = urlunsplit(
            (parts.scheme, parts.netloc, "/" + quote(self.vhost, safe=""), "", "")
        )

    def teardown(self) -> list[str]:
        """Remove what setup created; returns the problems met (never raises)."""
        problems = []
        try:
            with _autocommit(self.admin_url) as cur:
                for url in self.database_urls.values():
                    name = urlsplit(url).path.lstrip("/")
                    cur.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )
        except Exception as exc:  # noqa: BLE001 - report, keep cleaning
            problems.append(f"dropping databases: {exc}")
        if self._vhost_created:
            try:
                _rabbitmqctl("delete_vhost", self.vhost)
            except Exception as exc:  # noqa: BLE001
                problems.append(f"deleting vhost: {exc}")
        return problems


class _autocommit:
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> Any:
        self.conn = psycopg2.connect(self.url)
        self.conn.autocommit = True
        return self.conn.cursor()

    def __exit__(self, *exc: Any) -> None:
        self.conn.close()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql+psycopg2", parts.netloc, f"/{name}", parts.query, ""))


def plain_url(sqlalchemy_url: str) -> str:
    """A libpq URL (for psycopg2.connect) from a SQLAlchemy one."""
    return sqlalchemy_url.replace("postgresql+psycopg2://", "postgresql://")


def _rabbitmqctl(*args: str) -> None:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    if not Path(ctl).exists():
        raise RuntimeError("rabbitmqctl is needed to give the bench its own vhost")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [ctl, "-q", *args], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {result.stderr.strip()}")


GIVEN = ("Marie", "Jean", "Sophie", "Luc", "Amina", "Paul", "Claire", "Ahmed", "Nina", "Hugo")
FAMILY = ("DUPONT", "MARTIN", "BERNARD", "PETIT", "DIALLO", "GIRARD", "MOREAU", "BENALI", "ROUX")


def citizen_key(i: int) -> str:
    return f"bench.citizen.{i:06d}"


def write_identities(path: Path, count: int) -> list[str]:
    """``count`` adult eidas1 test identities with distinct pivot identities; their keys."""
    identities = {}
    for i in range(count):
        identities[citizen_key(i)] = {
            "label": f"Bench citizen {i}",
            "acr": "eidas1",
            "given_name": f"{GIVEN[i % len(GIVEN)]} B{i}",
            "family_name": f"{FAMILY[i % len(FAMILY)]}{i}",
            "birthdate": f"{1940 + i % 60}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "gender": "female" if i % 2 else "male",
            "birthplace": "75056",
            "birthcountry": "99100",
            "email": f"citizen{i}@bench.example.fr",
            "preferred_username": "",
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"identities": identities}, sort_keys=False), encoding="utf-8")
    return list(identities)
