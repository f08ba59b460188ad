"""``evalkit import lmms-eval|vlmevalkit FILE ...``: another harness's results as a run folder."""

from __future__ import annotations

import argparse


def add_parser(p: argparse.ArgumentParser) -> None:
    from evalkit.report.importers import SOURCES

    p.add_argument("source", choices=SOURCES, help="the harness that wrote the files")
    p.add_argument("files", nargs="+", help="lmms-eval: <date>_results.json files; VLMEvalKit: one model's "
                                            "<model>_<dataset>_acc.csv / _score.csv / _score.json files")
    p.add_argument("--out", default="results", help="results folder to write the run into (default: results)")
    p.add_argument("--model", help="the model's name, when the files do not tell it")


def main(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from evalkit.report.importers import import_results

    roots, warnings = import_results(args.source, [Path(f) for f in args.files], Path(args.out), model=args.model)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for root in roots:
        print(f"imported into {root}")
    return 0
