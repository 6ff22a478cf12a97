"""``hub``: the operator's command line.

hub run identity|petitions|notifications|transparency|mock-idp   one process in the foreground
hub up                                               all five (what `make run` starts)
hub db upgrade                                       migrate every service's database
hub broker ensure                                    start a private RabbitMQ node if none answers
hub clients create --name N --kind K [--scope S] [--redirect-uri U]...
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    # Monkey-patch first: nothing may import sockets before eventlet patches them.
    import warnings

    # NOTE: eventlet warns that it is in maintenance mode; nameko 2 needs it, we know.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from hub.children import StartError
    from shared.config import SettingsError, load_settings
    from shared.logs import configure_logging

    try:
        settings = load_settings()
        configure_logging(settings.log_format, settings.log_level, getattr(args, "process", None))
        return int(args.handler(args, settings) or 0)
    except (SettingsError, StartError) as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    from shared.config import PROCESSES

    parser = argparse.ArgumentParser(prog="hub", description="The participation hub.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="start one process in the foreground")
    run.add_argument("process", choices=PROCESSES)
    run.set_defaults(handler=_run)

    up = commands.add_parser("up", help="start all five processes; Ctrl-C stops them")
    up.set_defaults(handler=_up)

    db = commands.add_parser("db", help="databases")
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="migrate every service's database")
    upgrade.set_defaults(handler=_db_upgrade)

    broker = commands.add_parser("broker", help="the RabbitMQ broker")
    broker_commands = broker.add_subparsers(title="broker commands", metavar="COMMAND")
    ensure = broker_commands.add_parser("ensure", help="start a private node if none answers")
    ensure.set_defaults(handler=_broker_ensure)

    from services.identity.cli import add_commands as add_identity_commands

    add_identity_commands(commands)
    from services.petitions.cli import add_commands as add_petitions_commands

    add_petitions_commands(commands)
    return parser


def _run(args: argparse.Namespace, settings: object) -> int:
    from hub.runner import run_process

    return run_process(args.process, settings)  # type: ignore[arg-type]


def _up(args: argparse.Namespace, settings: object) -> int:
    from hub.runner import run_all

    return run_all(settings)  # type: ignore[arg-type]


def _db_upgrade(args: argparse.Namespace, settings: object) -> int:
    from shared.config import SERVICES
    from shared.migrations import upgrade

    for service in SERVICES:
        upgrade(service, settings.database_url(service))  # type: ignore[attr-defined]
        print(f"{service}: database at the latest revision")
    if not settings.production:  # type: ignore[attr-defined]
        from services.identity.cli import with_unit_of_work
        from services.identity.handlers.admin import ensure_web_client

        client = with_unit_of_work(settings, ensure_web_client, settings)
        print(f"identity: development client {client.client_id!r} for the petitions pages")
    return 0


def _broker_ensure(args: argparse.Namespace, settings: object) -> int:
    from hub.devbroker import ensure_broker

    return ensure_broker(settings)  # type: ignore[arg-type]
