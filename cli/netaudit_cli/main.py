"""`netaudit` console script.

Subcommands register themselves with the `subcommand` decorator; the modules of `COMMAND_MODULES`
are imported before the parser is built, so a module adds a subcommand with one decorator line:

    @subcommand("audit", help="...", arguments=_arguments)
    def audit(args: argparse.Namespace) -> int: ...

The development commands (`DEV_COMMANDS`) live in `netaudit_local` and are registered only when
it and what it needs are installed (`pip install '.[dev]'`); otherwise the command is still listed
and says what to install (exit 2), never a traceback.
"""

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from netaudit_cli.exit_codes import EXIT_ERROR

Handler = Callable[[argparse.Namespace], int]
Arguments = Callable[[argparse.ArgumentParser], None]

COMMAND_MODULES: tuple[str, ...] = ("netaudit_cli.audit", "netaudit_cli.evidence")
DEV_INSTALL = "pip install '.[dev]' in a checkout of ecs-netaudit"


@dataclass(frozen=True)
class DevCommand:
    """A command of the local runner: its module and the top-level packages it needs."""

    name: str
    module: str
    needs: tuple[str, ...]
    help: str


DEV_COMMANDS: tuple[DevCommand, ...] = (
    DevCommand(
        "demo",
        "netaudit_local.demo.cli",
        ("netaudit_local", "moto"),
        "Run the real state machine locally (moto + this Docker engine).",
    ),
    DevCommand(
        "check",
        "netaudit_local.check_cli",
        ("netaudit_local",),
        "Probe one task's containers on this Docker host and print the verdict as JSON.",
    ),
)


@dataclass(frozen=True)
class _Subcommand:
    name: str
    help: str
    arguments: Arguments | None
    handler: Handler


_REGISTRY: dict[str, _Subcommand] = {}


def subcommand(name: str, *, help: str, arguments: Arguments | None = None) -> Callable[[Handler], Handler]:
    """Register `handler(args) -> exit code` as `netaudit <name>`; `arguments(parser)` adds options."""

    def register(handler: Handler) -> Handler:
        _REGISTRY[name] = _Subcommand(name, help, arguments, handler)
        return handler

    return register


def refuse(command: str, message: str) -> int:
    """A command line refused (bad input, options that do not go together): say why, exit 2."""
    print(f"netaudit {command}: {message}", file=sys.stderr)
    return EXIT_ERROR


def installed(package: str) -> bool:
    """Whether a top-level package can be imported (without importing it)."""
    return importlib.util.find_spec(package) is not None


def _unavailable(command: DevCommand, missing: list[str]) -> _Subcommand:
    def handler(args: argparse.Namespace) -> int:
        return refuse(command.name, f"needs {', '.join(missing)}: {DEV_INSTALL}")

    def arguments(p: argparse.ArgumentParser) -> None:
        p.set_defaults(_unavailable=True)  # whatever options follow: say what to install

    return _Subcommand(command.name, f"{command.help} [needs {DEV_INSTALL}]", arguments, handler)


def _commands() -> dict[str, _Subcommand]:
    """Every command: the shipped ones, and each development command or what it needs."""
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    stubs: dict[str, _Subcommand] = {}
    for command in DEV_COMMANDS:
        missing = [package for package in command.needs if not installed(package)]
        if missing:
            stubs[command.name] = _unavailable(command, missing)
        else:
            importlib.import_module(command.module)
    return {**_REGISTRY, **stubs}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netaudit",
        description="Prove at runtime that ECS tasks have the network isolation they declare.",
    )
    subs = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for sub in _commands().values():
        p = subs.add_parser(sub.name, help=sub.help, description=sub.help)
        if sub.arguments:
            sub.arguments(p)
        p.set_defaults(_handler=sub.handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "_unavailable", False):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    handler: Handler = args._handler
    return handler(args)
