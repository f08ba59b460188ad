"""The options of the paired bootstrap and permutation test that ``compare`` and ``regress`` share."""

from __future__ import annotations

import argparse


def add_test_arguments(p: argparse.ArgumentParser, *, verb: str, confidence_help: str) -> None:
    """``--all-metrics``, ``--confidence``, ``--seed`` and ``--resamples``; ``verb`` is what the command
    does to each metric ("compare", "check")."""
    p.add_argument("--confidence", type=float, default=0.95, help=f"{confidence_help} (default 0.95)")
    p.add_argument("--all-metrics", action="store_true", help=f"{verb} every metric, not only each task's headline")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and permutation test (default 0)")
    p.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples and permutations (default 10000)")


def check_test_arguments(args: argparse.Namespace) -> None:
    from evalkit.errors import ConfigError

    if not 0 < args.confidence < 1:
        raise ConfigError(f"--confidence must be between 0 and 1 (e.g. 0.95), got {args.confidence}")
    if args.resamples < 1:
        raise ConfigError(f"--resamples must be at least 1, got {args.resamples}")
