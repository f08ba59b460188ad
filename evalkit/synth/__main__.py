"""``python -m evalkit.synth``: write or check the synthetic splits.

    python -m evalkit.synth write                 # regenerate the bundled test splits and few-shot pools
    python -m evalkit.synth check                 # do the bundled files equal a fresh generation?
    python -m evalkit.synth export synth_vqa --split train -n 5000 --seed 7 --out vqa_train.parquet
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evalkit.errors import EvalkitError
from evalkit.synth.files import (
    BUNDLED_ROOT,
    bundled_path,
    bundled_rows,
    comparable,
    read_rows,
    write_bundled,
    write_split,
)
from evalkit.synth.generate import BENCHMARKS, benchmark, generate


def _tasks(text: str | None) -> list[str]:
    names = [t.strip() for t in (text or "").split(",") if t.strip()] or list(BENCHMARKS)
    for name in names:
        benchmark(name)  # unknown names fail with a suggestion
    return names


def _check(tasks: list[str], root: Path) -> int:
    stale: list[str] = []
    for task in tasks:
        for split in ("test", "train"):
            path = bundled_path(task, split, root)
            if not path.is_file() or comparable(read_rows(path)) != comparable(bundled_rows(task, split)):
                stale.append(str(path))
    for name in stale:
        print(f"differs from a fresh generation: {name}", file=sys.stderr)
    if stale:
        print("run 'python -m evalkit.synth write' to regenerate", file=sys.stderr)
    return 1 if stale else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evalkit.synth", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("write", "check"):
        p = sub.add_parser(name, help=f"{name} the bundled test splits and few-shot pools")
        p.add_argument("--tasks", help="comma-separated synthetic benchmarks (default: all)")
        p.add_argument("--root", type=Path, default=BUNDLED_ROOT, help="folder holding <task>/<split>.parquet")
    p = sub.add_parser("export", help="write any split of one benchmark to a parquet file")
    p.add_argument("task", choices=list(BENCHMARKS))
    p.add_argument("--split", choices=("train", "test"), default="train")
    p.add_argument("-n", type=int, required=True, help="number of images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "write":
            for path in write_bundled(_tasks(args.tasks), args.root):
                print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
            return 0
        if args.command == "check":
            return _check(_tasks(args.tasks), args.root)
        rows = generate(args.task, args.split, args.n, args.seed)
        print(f"wrote {write_split(args.out, rows, benchmark(args.task))} ({len(rows)} rows)")
        return 0
    except EvalkitError as exc:
        print(f"evalkit.synth: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
