"""``evalkit compare RUN_A RUN_B``: per task both scores, the difference with its CI and a paired test."""

from __future__ import annotations

import argparse

from evalkit.commands.paired_test import add_test_arguments, check_test_arguments


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_a", help="a run folder (or scores.json)")
    p.add_argument("run_b", help="another run folder (or scores.json); differences are B - A")
    add_test_arguments(p, verb="compare", confidence_help="CI level; 1 - it is the test level")
    p.add_argument("--json", metavar="PATH", help="also write the comparison as JSON")


def main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from evalkit.report.compare import compare_runs, format_comparison
    from evalkit.report.runs import load_run
    from evalkit.results.files import atomic_write_json

    check_test_arguments(args)
    comparison = compare_runs(load_run(Path(args.run_a)), load_run(Path(args.run_b)), seed=args.seed,
                              confidence=args.confidence, n_resamples=args.resamples, all_metrics=args.all_metrics)
    print(format_comparison(comparison))
    if args.json:
        atomic_write_json(Path(args.json), {
            "run_a": str(comparison.run_a.path), "run_b": str(comparison.run_b.path),
            "confidence": comparison.confidence, "metrics": [m.as_dict() for m in comparison.metrics],
            "only_a": comparison.only_a, "only_b": comparison.only_b,
        })
    return 0
