"""The ``evalkit`` command line: a thin layer that parses arguments and calls the Python API.

Each subcommand lives in ``evalkit/commands/<name>.py`` with ``add_parser(subparsers)`` and
``main(args) -> int``; modules are imported only for the subcommand that runs, so ``--help``
and ``list`` stay fast. A user-facing error (``EvalkitError``) prints as one line, exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

from evalkit import __version__
from evalkit.errors import EvalkitError

# name -> (module, one-line help). Order is the order shown by --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("evalkit.commands.run", "evaluate a model on tasks (no arguments: the embedded default suite)"),
    "score": ("evalkit.commands.score", "recompute scores.json of a run from its journals, without a model"),
    "list": ("evalkit.commands.list_cmd", "list tasks or models"),
    "describe": ("evalkit.commands.describe", "show a task's resolved spec and one rendered prompt"),
    "chat": ("evalkit.commands.chat", "ask a model one question about one image"),
    "leaderboard": ("evalkit.commands.leaderboard", "build leaderboard tables from result folders"),
    "compare": ("evalkit.commands.compare", "paired comparison of two runs"),
    "regress": ("evalkit.commands.regress", "fail when a run dropped significantly against a baseline"),
    "import": ("evalkit.commands.import_cmd", "import another harness's result file"),
}


def _available() -> dict[str, tuple[str, str]]:
    found = {}
    for name, (module, help_text) in COMMANDS.items():
        if importlib.util.find_spec(module) is not None:
            found[name] = (module, help_text)
    return found


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evalkit",
        description="Evaluate vision-language models on the standard benchmarks, reproducibly.",
    )
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in _available().items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_text, add_help=False)
            continue
        cmd = importlib.import_module(module)
        cmd.add_parser(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and not argv[0].startswith("-") else None
    parser = build_parser(only=command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.main(args) or 0)
    except EvalkitError as exc:
        print(f"evalkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evalkit: interrupted; finished samples are journaled, rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
