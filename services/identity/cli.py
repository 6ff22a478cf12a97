"""The identity service's operator commands (``hub ...``); each prints JSON on standard output.

    hub clients create --name NAME --kind service-provider|agency|operator
                       [--scope "..."] [--redirect-uri URI]... [--public]
    hub clients list
    hub clients disable CLIENT_ID
    hub clients rotate-secret CLIENT_ID
    hub keys rotate [--activate-in SECONDS]
    hub citizens erase SUBJECT [--client CLIENT_ID]

Secrets are shown once; the database keeps only their digest.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from shared.scopes import CLIENT_KINDS, DEFAULT_SCOPES


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    _client_commands(commands)
    keys = commands.add_parser("keys", help="the identity service's signing keys")
    key_commands = keys.add_subparsers(title="keys commands", metavar="COMMAND")
    rotate = key_commands.add_parser(
        "rotate", help="publish a new signing key now; it signs after --activate-in seconds"
    )
    rotate.add_argument("--activate-in", type=int, default=None, metavar="SECONDS")
    rotate.set_defaults(handler=_keys_rotate)
    citizens = commands.add_parser("citizens", help="citizens known to the identity service")
    citizen_commands = citizens.add_subparsers(title="citizens commands", metavar="COMMAND")
    erase = citizen_commands.add_parser(
        "erase", help="forget a citizen, found by their petitions subject (or a client's sub)"
    )
    erase.add_argument("subject")
    erase.add_argument("--client", help="SUBJECT is this client's ID-token sub")
    erase.set_defaults(handler=_citizens_erase)


def _client_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    clients = commands.add_parser("clients", help="OAuth clients of the identity service")
    client_commands = clients.add_subparsers(title="clients commands", metavar="COMMAND")
    create = client_commands.add_parser(
        "create",
        help="register a client and print it as JSON (with its secret, shown once)",
        epilog="default scopes: "
        + "; ".join(f"{kind}: {' '.join(scopes)}" for kind, scopes in DEFAULT_SCOPES.items()),
    )
    create.add_argument("--name", required=True, help="what people see")
    create.add_argument("--kind", required=True, choices=CLIENT_KINDS)
    create.add_argument("--scope", help="space-separated scopes (default: the kind's)")
    create.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        default=[],
        metavar="URI",
        help="exact redirect URI (service providers; repeat for several)",
    )
    create.add_argument("--public", action="store_true", help="a client without secret (PKCE only)")
    create.set_defaults(handler=_create)
    client_commands.add_parser("list", help="every client, without secrets").set_defaults(
        handler=_list
    )
    for name, handler, text in (
        ("disable", _disable, "stop a client and revoke what it holds"),
        ("rotate-secret", _rotate_secret, "give a client a new secret (printed once)"),
    ):
        command = client_commands.add_parser(name, help=text)
        command.add_argument("client_id")
        command.set_defaults(handler=handler)


def with_unit_of_work(settings: Any, use_case: Callable[..., Any], *args: Any) -> Any:
    """Runs an operator use case in one unit of work on the identity database."""
    from sqlalchemy.orm import Session

    from shared.db import UnitOfWork, make_engine

    engine = make_engine(settings.database_url("identity"))
    try:
        with Session(engine) as session:
            return use_case(UnitOfWork(session, "identity"), *args)
    finally:
        engine.dispose()


def create_client(
    settings: Any,
    name: str,
    kind: str,
    scope: str | None = None,
    redirect_uris: list[str] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    """Registers a client in the identity database (what the command runs; tests use it too)."""
    from services.identity.commands import RegisterClient
    from services.identity.handlers.admin import register_client

    command = RegisterClient(
        name, kind, scope, tuple(redirect_uris or ()), public, settings.production
    )
    return with_unit_of_work(settings, register_client, command)  # type: ignore[no-any-return]


def _create(args: argparse.Namespace, settings: Any) -> int:
    args_ = (args.name, args.kind, args.scope, args.redirect_uris, args.public)
    return _answer("clients create", lambda: create_client(settings, *args_))


def _list(args: argparse.Namespace, settings: Any) -> int:
    from services.identity.handlers.admin import list_clients

    return _answer("clients list", lambda: with_unit_of_work(settings, list_clients))


def _disable(args: argparse.Namespace, settings: Any) -> int:
    from services.identity.commands import DisableClient
    from services.identity.handlers.admin import disable_client

    command = DisableClient(args.client_id)
    return _answer(
        "clients disable",
        lambda: with_unit_of_work(settings, disable_client, settings, command),
    )


def _rotate_secret(args: argparse.Namespace, settings: Any) -> int:
    from services.identity.commands import RotateClientSecret
    from services.identity.handlers.admin import rotate_client_secret

    command = RotateClientSecret(args.client_id)
    return _answer(
        "clients rotate-secret",
        lambda: with_unit_of_work(settings, rotate_client_secret, command),
    )


def _keys_rotate(args: argparse.Namespace, settings: Any) -> int:
    from services.identity.commands import RotateKeys
    from services.identity.handlers.admin import rotate_keys

    return _answer("keys rotate", lambda: rotate_keys(settings, RotateKeys(args.activate_in)))


def _citizens_erase(args: argparse.Namespace, settings: Any) -> int:
    from services.identity.commands import EraseCitizen
    from services.identity.handlers.admin import erase_citizen

    command = EraseCitizen(args.subject, args.client)

    def erase() -> Any:
        found = with_unit_of_work(settings, erase_citizen, settings, command)
        if found is None:
            raise LookupError("no citizen has this subject")
        return found

    return _answer("citizens erase", erase)


def _answer(command: str, run: Callable[[], Any]) -> int:
    """Prints the result as JSON, or one readable line on standard error (exit status 1)."""
    from sqlalchemy.exc import SQLAlchemyError

    from services.identity.domain.clients import ClientRegistrationError, UnknownClient

    try:
        result = run()
    except UnknownClient as exc:
        print(f"hub {command}: no client has the id {exc}", file=sys.stderr)
        return 1
    except (ClientRegistrationError, LookupError, ValueError) as exc:
        print(f"hub {command}: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"hub {command}: {_database_problem(exc)}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _database_problem(exc: Exception) -> str:
    text = str(exc).lower()
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return "the identity database is not migrated; run `hub db upgrade` first"
    first_line = str(getattr(exc, "orig", exc)).strip().splitlines()[0:1]
    return f"the identity database cannot be used: {first_line[0] if first_line else exc}"
