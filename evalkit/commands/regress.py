"""``evalkit regress --baseline RUN_OR_FILE --run RUN [--max-drop X]``: exit 1 when a task dropped."""

from __future__ import annotations

import argparse


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline", required=True, help="the baseline: a run folder or a scores.json file")
    p.add_argument("--run", required=True, help="the run to check: a run folder or a scores.json file")
    p.add_argument("--max-drop", type=float, metavar="POINTS",
                   help="also fail on any drop larger than this many points, significant or not")
    p.add_argument("--confidence", type=float, default=0.95,
                   help="CI level; a drop is significant at level 1 - it (default 0.95)")
    p.add_argument("--all-metrics", action="store_true", help="check every metric, not only each task's headline")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and permutation test (default 0)")
    p.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples and permutations (default 10000)")
    p.add_argument("--json", metavar="PATH", help="also write the report as JSON")


def main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from evalkit.errors import ConfigError
    from evalkit.report.regress import check_regression, format_report
    from evalkit.report.runs import load_run
    from evalkit.results.files import atomic_write_json

    if not 0 < args.confidence < 1:
        raise ConfigError(f"--confidence must be between 0 and 1 (e.g. 0.95), got {args.confidence}")
    if args.max_drop is not None and args.max_drop < 0:
        raise ConfigError(f"--max-drop is a number of points >= 0, got {args.max_drop}")
    if args.resamples < 1:
        raise ConfigError(f"--resamples must be at least 1, got {args.resamples}")
    report = check_regression(load_run(Path(args.baseline)), load_run(Path(args.run)), max_drop=args.max_drop,
                              confidence=args.confidence, seed=args.seed, n_resamples=args.resamples,
                              all_metrics=args.all_metrics)
    print(format_report(report))
    if args.json:
        atomic_write_json(Path(args.json), report.as_dict())
    return 1 if report.failed else 0
