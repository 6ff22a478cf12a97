"""``hub broker ensure``: make sure a RabbitMQ broker answers at HUB_AMQP_URI on a dev machine.

If nothing answers at a loopback URI, start a *private* node whose data, logs, Erlang cookie, name
and ports are the project's own (under ``<data dir>/rabbitmq``), so another RabbitMQ on the machine
(say the system's ``rabbit@localhost`` on 5672) is never disturbed. Nodes share epmd by design.

NOTE: Debian's ``/usr/sbin/rabbitmq-server`` is a wrapper that, run as root, re-runs the real script
as the ``rabbitmq`` user with ``su``: HOME becomes /var/lib/rabbitmq (the system node's cookie) and
the node cannot write our root-owned ./var (boot fails, "permission denied"). So we run the real
script directly: the node runs as whoever runs the hub, and owns what we create.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from shared.bus import broker_reachable
from shared.config import Settings, SettingsError

START_TIMEOUT_SECONDS = 60
_launched: dict[str, subprocess.Popen[bytes]] = {}  # started here: stop_private_broker reaps them


@dataclass(frozen=True)
class PrivateNode:
    """Where the project's own node lives and how to address it."""

    home: Path  # also HOME, so the Erlang cookie is private
    host: str
    port: int
    user: str
    password: str
    vhost: str

    @classmethod
    def for_settings(cls, settings: Settings) -> PrivateNode:
        uri = urlsplit(settings.amqp_uri)
        return cls(
            home=(settings.data_dir / "rabbitmq").resolve(),
            host=uri.hostname or "127.0.0.1",
            port=uri.port or 5672,
            user=unquote(uri.username or "guest"),
            password=unquote(uri.password or "guest"),
            vhost=unquote(uri.path[1:]) or "/",  # kombu's reading of the path
        )

    @property
    def name(self) -> str:
        # Stable per data dir, so a later run finds (and reuses) the node an earlier run started.
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:10]
        return f"hub-{digest}@localhost"

    @property
    def ip(self) -> str:  # where it listens: loopback only
        return "127.0.0.1" if self.host == "localhost" else self.host

    @property
    def log_dir(self) -> Path:
        return self.home / "log"

    @property
    def pid_file(self) -> Path:
        return self.home / f"{self.name}.pid"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.home),
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": self.ip,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_MNESIA_BASE": str(self.home / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.log_dir),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            "RABBITMQ_CONFIG_FILE": str(self.home / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.home / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.home / "enabled_plugins"),
            # Our own (empty) env file instead of /etc/rabbitmq/rabbitmq-env.conf, whose
            # NODENAME and settings are the system node's.
            "RABBITMQ_CONF_ENV_FILE": str(self.home / "rabbitmq-env.conf"),
            # If no epmd runs yet, the one Erlang starts listens on loopback only.
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }


def ensure_broker(settings: Settings) -> int:
    """Return 0 when a broker answers at settings.amqp_uri (starting a private node if need be)."""
    node = PrivateNode.for_settings(settings)
    where = f"{node.host}:{node.port}"
    if broker_reachable(settings.amqp_uri):
        print(f"broker: RabbitMQ answers at {where}")
        return 0
    if not _is_loopback(node.host):
        return _fail(
            f"no RabbitMQ answers at {where}; a private node can only be started on this "
            "machine (127.0.0.1/localhost). Start that broker or fix HUB_AMQP_URI."
        )
    server = find_server()
    if server is None:
        return _fail(
            f"no RabbitMQ answers at {where} and rabbitmq-server is not installed.\n"
            "Install it (Debian/Ubuntu: `sudo apt-get install rabbitmq-server`; macOS: "
            "`brew install rabbitmq`), or point HUB_AMQP_URI at a broker you have."
        )
    if _registered_with_epmd(node.name):
        print(f"broker: private node {node.name} is already running; waiting for it to answer")
    elif _port_open(node.ip, node.port):
        return _fail(
            f"port {node.port} is in use, but not by a broker that accepts "
            "HUB_AMQP_URI's credentials; free the port or change HUB_AMQP_URI"
        )
    else:
        _start(node, server)
    problem = _wait_until_answering(node, settings.amqp_uri)
    if problem:
        return _fail(problem)
    print(
        f"broker: private RabbitMQ node {node.name} answers at {where}\n"
        f"  data and logs: {node.home}\n"
        f"  stop it with:  HOME={node.home} {server.parent / 'rabbitmqctl'} -n {node.name} stop"
    )
    return 0


def stop_private_broker(settings: Settings) -> int:
    """Stop the private node of this data dir, if one runs; wait until its process is gone."""
    node = PrivateNode.for_settings(settings)
    server = find_server()
    if server is None or not _registered_with_epmd(node.name):
        return 0
    # Given the pid file, `rabbitmqctl stop` returns only once the node's process has exited.
    pid_file = [str(node.pid_file)] if node.pid_file.exists() else []
    result = subprocess.run(  # noqa: S603 - our own arguments
        [str(server.parent / "rabbitmqctl"), "-n", node.name, "stop", *pid_file],
        env=node.env(),
        cwd=node.home,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if (launched := _launched.pop(node.name, None)) is not None:
        launched.wait(timeout=30)
    if result.returncode != 0:
        return _fail(f"stopping {node.name} failed:\n{result.stdout}{result.stderr}")
    return 0


def find_server() -> Path | None:
    """The real rabbitmq-server script (never Debian's su-ing wrapper, see the module doc)."""
    search = [os.environ.get("PATH", ""), "/usr/sbin", "/usr/lib/rabbitmq/bin"]  # Debian's dirs
    found = shutil.which("rabbitmq-server", path=os.pathsep.join(search))
    if found is None:
        return None
    real = Path(found).resolve()
    if real.name == "rabbitmq-script-wrapper":
        real = real.parent / "rabbitmq-server"
    return real if real.is_file() else None


def _start(node: PrivateNode, server: Path) -> None:
    _write_files(node)
    env = {**node.env(), "RABBITMQ_DIST_PORT": str(_free_port())}
    startup_log = node.log_dir / "startup.log"
    print(
        f"broker: starting private RabbitMQ node {node.name} on port {node.port} "
        f"(output in {startup_log})",
        flush=True,
    )
    with open(startup_log, "ab") as out:
        # A foreground node in its own session: it outlives this command and Ctrl-C on the hub,
        # and its early errors (which -detached would swallow) land in the startup log.
        _launched[node.name] = subprocess.Popen(  # noqa: S603 - our own arguments
            [str(server)],
            env=env,
            cwd=node.home,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _write_files(node: PrivateNode) -> None:
    if any(c in f"{node.user}{node.password}{node.vhost}" for c in "\r\n#"):  # rabbitmq.conf
        raise SettingsError("HUB_AMQP_URI: no '#' or line break in user, password or vhost")
    node.log_dir.mkdir(parents=True, exist_ok=True)
    # No plugins: the management plugin would take port 15672 (and the system node has it).
    (node.home / "enabled_plugins").write_text("[].\n")
    (node.home / "rabbitmq-env.conf").write_text("# see services/devbroker.py\n")
    # Used only when the node's database is first created; guest is allowed on loopback only.
    (node.home / "rabbitmq.conf").write_text(
        "loopback_users.guest = true\n"
        f"default_user = {node.user}\n"
        f"default_pass = {node.password}\n"
        f"default_vhost = {node.vhost}\n"
    )


def _wait_until_answering(node: PrivateNode, amqp_uri: str) -> str | None:
    """None once the broker answers, else what went wrong."""
    started = time.monotonic()
    next_note = started + 5
    while time.monotonic() - started < START_TIMEOUT_SECONDS:
        if broker_reachable(amqp_uri):
            return None
        launched = _launched.get(node.name)
        if launched is not None and launched.poll() is not None:
            del _launched[node.name]
            return f"{node.name} stopped while starting:\n{_tail(node)}"
        if time.monotonic() >= next_note:
            print(
                f"broker: waiting for {node.name} on port {node.port} "
                f"({time.monotonic() - started:.0f}s)",
                flush=True,
            )
            next_note += 5
        time.sleep(0.5)
    return (
        f"{node.name} did not accept HUB_AMQP_URI within {START_TIMEOUT_SECONDS}s (its users "
        f"are those of its first start); see the logs in {node.log_dir}:\n{_tail(node)}"
    )


def _fail(message: str) -> int:
    print(f"broker: {message}", file=sys.stderr)
    return 1


def _tail(node: PrivateNode, lines: int = 15) -> str:
    startup_log = node.log_dir / "startup.log"  # the last lines usually say why
    text = startup_log.read_text(errors="replace") if startup_log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _registered_with_epmd(name: str) -> bool:
    """Whether a node of this name runs on this machine: ask epmd, as Erlang itself does."""
    try:
        with socket.create_connection(
            ("127.0.0.1", int(os.environ.get("ERL_EPMD_PORT", 4369))), timeout=2
        ) as sock:
            sock.sendall(b"\x00\x01n")  # NAMES_REQ: epmd answers, then closes
            reply = b"".join(iter(lambda: sock.recv(4096), b""))
    except OSError:
        return False  # no epmd, so no Erlang node at all
    return f"name {name.split('@')[0]} at port ".encode() in reply


def _port_open(ip: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as sock:
        sock.settimeout(1)
        return sock.connect_ex((ip, port)) == 0


def _free_port() -> int:
    # For Erlang distribution: the default, AMQP port + 20000, may be taken or beyond 65535.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
