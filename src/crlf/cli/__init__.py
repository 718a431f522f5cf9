"""The ``crlf`` command: ``crlf run``, ``crlf serve``, ``crlf demo``, ``crlf get``, ``crlf ws``.

Each subcommand lives in its own module exposing ``add_parser(subparsers)`` and ``main(args)``;
a module that is not there (yet) is skipped, so the command works while parts are missing.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]

SUBCOMMANDS = ("run", "serve", "demo", "get", "ws")


def build_parser(
    only: str | None = None,
) -> tuple[argparse.ArgumentParser, dict[str, Any]]:
    """The top-level parser, and the subcommand modules that are available by name.

    Args:
        only: import just this subcommand's module (``crlf run`` need not import the client).
    """
    parser = argparse.ArgumentParser(
        prog="crlf",
        description="The whole HTTP/1.1 session: server, static files, client and WebSockets.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, Any] = {}
    for name in (only,) if only else SUBCOMMANDS:
        try:
            module = importlib.import_module(f"crlf.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"crlf.cli.{name}":
                continue  # not written yet
            raise
        module.add_parser(subparsers)
        modules[name] = module
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crlf`` command line.

    Args:
        argv: the arguments (``sys.argv[1:]`` when None).

    Returns:
        The exit status.
    """
    arguments = list(argv) if argv is not None else sys.argv[1:]
    first = arguments[0] if arguments else None
    parser, modules = build_parser(first if first in SUBCOMMANDS else None)
    if first in SUBCOMMANDS and not modules:
        parser, modules = build_parser()  # that subcommand is missing: argparse says so
    args = parser.parse_args(arguments)
    module = modules.get(args.command or "")
    if module is None:
        parser.print_help()
        return 2
    return int(module.main(args) or 0)
