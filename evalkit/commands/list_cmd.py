"""``evalkit list tasks|models``."""

from __future__ import annotations

import argparse


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=("tasks", "models", "groups"), help="what to list")


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def main(args: argparse.Namespace) -> int:
    if args.what == "models":
        from evalkit.models.registry import registered_models

        rows = [("name", "source", "description")]
        rows += [(e.name, e.source, e.description) for e in registered_models().values()]
        print(_table(rows))
        print("\nAlso: --model PATH (a checkpoint folder), --model ORG/NAME (a hub id), --model openai:NAME (a server)")
        return 0
    from evalkit.tasks.registry import all_tasks, groups

    if args.what == "groups":
        rows = [("group", "tasks")] + [(g, ", ".join(names)) for g, names in sorted(groups().items())]
        print(_table(rows))
        return 0
    rows = [("task", "groups", "output", "protocols", "source")]
    for spec in all_tasks().values():
        src = spec.source
        where = src.hub.id if src.hub else f"local {src.local.format}: {src.local.path}"  # type: ignore[union-attr]
        if src.hub and src.local:
            where += " (or local)"
        rows.append((spec.name, ",".join(spec.groups), spec.output, ",".join(spec.protocols), where))
    print(_table(rows))
    return 0
