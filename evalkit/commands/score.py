"""``evalkit score RUN_DIR``: recompute answers and scores from a run's journals, without a model."""

from __future__ import annotations

import argparse


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", help="a run folder (holding run.json and journal/)")
    p.add_argument("--quiet", action="store_true", help="do not print the table")


def main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from evalkit.results.rescore import rescore_run
    from evalkit.results.summary import summary_table

    scores = rescore_run(Path(args.run_dir))
    if not args.quiet:
        print(summary_table(scores))
    return 0
