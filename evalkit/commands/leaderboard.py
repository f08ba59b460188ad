"""``evalkit leaderboard [RESULTS_DIR ...] --out DIR``: tables (Markdown, CSV, LaTeX, HTML) and plots."""

from __future__ import annotations

import argparse

DEFAULT_PUBLISHED = "leaderboard/published.yaml"


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("results", nargs="*", default=["results"],
                   help="results folders or run folders (default: results)")
    p.add_argument("--out", default="leaderboard", help="folder to write the tables to (default: leaderboard)")
    p.add_argument("--published",
                   help=f"published numbers to show beside reproduced ones (default: {DEFAULT_PUBLISHED} "
                        f"when it exists)")
    p.add_argument("--no-published", action="store_true", help="show no published numbers")
    p.add_argument("--formats", default="md,csv,tex,html", help="comma-separated: md, csv, tex, html (default: all)")
    p.add_argument("--ci", action="store_true", help="show the half-width of each 95%% CI beside its value")
    p.add_argument("--decimals", type=int, default=2, help="digits after the decimal point (default: 2)")
    p.add_argument("--plots", action="store_true", help="also draw PNG and SVG plots under OUT/plots/")


def main(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from evalkit.errors import ConfigError, did_you_mean
    from evalkit.report.leaderboard import Format, LeaderboardOptions, write_leaderboard
    from evalkit.report.published import load_published
    from evalkit.report.runs import find_runs
    from evalkit.tasks.registry import all_tasks, groups

    known = {f.value: f for f in Format}
    formats = []
    for name in (x.strip() for x in args.formats.split(",") if x.strip()):
        if name not in known:
            raise ConfigError(f"unknown format {name!r}{did_you_mean(name, known)} (choose from {', '.join(known)})")
        formats.append(known[name])
    if not 0 <= args.decimals <= 6:
        raise ConfigError(f"--decimals must be between 0 and 6, got {args.decimals}")
    published = []
    if args.published and args.no_published:
        raise ConfigError("--published and --no-published contradict each other; pass one")
    if args.published:
        published = load_published(Path(args.published))
    elif not args.no_published:
        if Path(DEFAULT_PUBLISHED).is_file():
            published = load_published(Path(DEFAULT_PUBLISHED))
        else:
            print(f"note: no {DEFAULT_PUBLISHED} here; tables without published numbers", file=sys.stderr)
    runs = find_runs(Path(p) for p in args.results)
    options = LeaderboardOptions(formats=tuple(formats), decimals=args.decimals, ci=args.ci, plots=args.plots)
    board = write_leaderboard(runs, Path(args.out), published=published, groups=groups(),
                              task_order=list(all_tasks()), options=options)
    for warning in board.tables.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{len(runs)} runs, {len(board.tables.all)} tables, {len(board.files)} files in {args.out}")
    for path in board.files:
        print(f"  {path}")
    return 0
