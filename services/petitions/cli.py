"""The petitions service's operator commands (``hub petitions ...``); each prints JSON.

hub petitions recount [--petition ID] [--repair]
    one JSON line per petition: {"id", "live_count", "rows", "equal"}; with --repair, each
    mismatched petition's count shards are rewritten to its rows (one transaction, signing
    held off meanwhile) and its line says "repaired": true. Exit status 1 while a mismatch
    remains (so that a nightly job alerts).
hub petitions retention
    anonymise the signers and co-sponsors of petitions ended more than
    HUB_SIGNATURE_RETENTION_DAYS ago (what the service's hourly timer does); counts kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from services.petitions.domain import PetitionError


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    petitions = commands.add_parser("petitions", help="the petitions service's upkeep")
    petition_commands = petitions.add_subparsers(title="petitions commands", metavar="COMMAND")
    recount = petition_commands.add_parser(
        "recount", help="compare each petition's live count with its signature rows"
    )
    recount.add_argument("--petition", metavar="ID", help="this petition only")
    recount.add_argument(
        "--repair", action="store_true", help="rewrite mismatched counts to the rows"
    )
    recount.set_defaults(handler=_recount)
    retention = petition_commands.add_parser(
        "retention", help="anonymise signers of petitions ended HUB_SIGNATURE_RETENTION_DAYS ago"
    )
    retention.set_defaults(handler=_retention)


def with_unit_of_work(settings: Any, use_case: Callable[..., Any], *args: Any) -> Any:
    """Runs an operator use case in one unit of work on the petitions database."""
    from sqlalchemy.orm import Session

    from shared.db import UnitOfWork, make_engine

    engine = make_engine(settings.database_url("petitions"))
    try:
        with Session(engine, expire_on_commit=False) as session:
            return use_case(UnitOfWork(session, "petitions"), *args)
    finally:
        engine.dispose()


def _recount(args: argparse.Namespace, settings: Any) -> int:
    from services.petitions.handlers import upkeep

    def run(uow: Any) -> int:
        unequal = 0
        for found in upkeep.recount(uow, args.petition):
            if not found.equal and args.repair:
                found = upkeep.repair(uow, found.id)
            unequal += not found.equal
            print(json.dumps(found.as_dict()), flush=True)
        return 1 if unequal else 0

    return _guarded("recount", lambda: with_unit_of_work(settings, run))


def _retention(args: argparse.Namespace, settings: Any) -> int:
    from services.petitions.dependencies import rules_from_settings
    from services.petitions.handlers import upkeep

    retention = rules_from_settings(settings).retention

    def run(uow: Any) -> int:
        retired: list[dict[str, Any]] = []
        while batch := upkeep.retire_signers(uow, retention):
            retired += batch
        print(json.dumps({"retention_days": retention.days, "petitions": retired}))
        return 0

    return _guarded("retention", lambda: with_unit_of_work(settings, run))


def _guarded(command: str, run: Callable[[], int]) -> int:
    """The command's status, or one readable line on standard error (status 2)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return run()
    except PetitionError as exc:
        print(f"hub petitions {command}: {exc.message}", file=sys.stderr)
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[:1]
        problem = first[0] if first else type(exc).__name__
        print(f"hub petitions {command}: the petitions database: {problem}", file=sys.stderr)
    return 2
