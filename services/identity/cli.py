"""``hub clients create``: registering OAuth clients with the identity service.

    hub clients create --name NAME --kind service-provider|agency|operator
                       [--scope "..."] [--redirect-uri URI]... [--public]

Prints one JSON object (client_id, client_secret, name, kind, scopes, redirect_uris, public).
The secret is shown this once; the database keeps only its digest.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from shared.scopes import CLIENT_KINDS, DEFAULT_SCOPES


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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


def create_client(
    settings: Any,
    name: str,
    kind: str,
    scope: str | None = None,
    redirect_uris: list[str] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    """Registers a client in the identity database (what the command runs; tests use it too)."""
    from sqlalchemy.orm import Session

    from services.identity.grants import register_client
    from shared.db import UnitOfWork, make_engine

    engine = make_engine(settings.database_url("identity"))
    try:
        with Session(engine) as session:
            uow = UnitOfWork(session, "identity")
            return register_client(
                uow, name, kind, scope, redirect_uris, public, production=settings.production
            )
    finally:
        engine.dispose()


def _create(args: argparse.Namespace, settings: Any) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from services.identity.clients import ClientRegistrationError

    try:
        client = create_client(
            settings, args.name, args.kind, args.scope, args.redirect_uris, args.public
        )
    except ClientRegistrationError as exc:
        print(f"hub clients create: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"hub clients create: {_database_problem(exc)}", file=sys.stderr)
        return 1
    print(json.dumps(client, ensure_ascii=False))
    return 0


def _database_problem(exc: Exception) -> str:
    text = str(exc).lower()
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return "the identity database is not migrated; run `hub db upgrade` first"
    first_line = str(getattr(exc, "orig", exc)).strip().splitlines()[0:1]
    return f"the identity database cannot be used: {first_line[0] if first_line else exc}"
