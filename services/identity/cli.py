"""`hub clients ...`: registering OAuth clients with the identity service (to be completed)."""

from __future__ import annotations

import argparse


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser("clients", help="OAuth clients of the identity service")
