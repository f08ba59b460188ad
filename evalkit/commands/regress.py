"""``evalkit regress --baseline RUN_OR_FILE --run RUN [--max-drop X]``: exit 1 when a task dropped."""

from __future__ import annotations

import argparse

from evalkit.commands.paired_test import add_test_arguments, check_test_arguments


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline", required=True, help="the baseline: a run folder or a scores.json file")
    p.add_argument("--run", required=True, help="the run to check: a run folder or a scores.json file")
    p.add_argument("--max-drop", type=float, metavar="POINTS",
                   help="also fail on any drop larger than this many points, significant or not")
    add_test_arguments(p, verb="check", confidence_help="CI level; a drop is significant at level 1 - it")
    p.add_argument("--json", metavar="PATH", help="also write the report as JSON")


def main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from evalkit.errors import ConfigError
    from evalkit.report.regress import check_regression, format_report
    from evalkit.report.runs import load_run
    from evalkit.results.files import atomic_write_json

    check_test_arguments(args)
    if args.max_drop is not None and args.max_drop < 0:
        raise ConfigError(f"--max-drop is a number of points >= 0, got {args.max_drop}")
    report = check_regression(load_run(Path(args.baseline)), load_run(Path(args.run)), max_drop=args.max_drop,
                              confidence=args.confidence, seed=args.seed, n_resamples=args.resamples,
                              all_metrics=args.all_metrics)
    print(format_report(report))
    if args.json:
        atomic_write_json(Path(args.json), report.as_dict())
    return 1 if report.failed else 0
