"""``evalkit run``: evaluate a model on tasks."""

from __future__ import annotations

import argparse
import sys

from evalkit.runner.config import DEFAULT_SUITE


def add_parser(p: argparse.ArgumentParser) -> None:
    p.epilog = (f"With no --tasks and no --config, runs the embedded default suite (configs/{DEFAULT_SUITE}.yaml), "
                "which works offline.")
    p.add_argument("--config", help="a suite YAML (configs/NAME.yaml); flags given here override it")
    p.add_argument("--tasks", help="comma-separated task or group names (evalkit list tasks)")
    p.add_argument("--model", help="registered name, checkpoint folder, hub id, or openai:NAME")
    p.add_argument("--model-args", help="backend settings as k=v,k=v (e.g. dtype=bf16)")
    p.add_argument("--protocol", choices=("qwen-vl", "standard", "generate"),
                   help="prompt/scoring protocol (default: each task's own default)")
    p.add_argument("--num-fewshot", type=int, help="k in-context examples per query (default 0)")
    p.add_argument("--limit", type=int, help="evaluate only the first N samples per task (pairs kept together)")
    p.add_argument("--batch-size", type=int, help="requests per model call (default 8)")
    p.add_argument("--seed", type=int, help="seed for few-shot draws and bootstraps (default 1234)")
    p.add_argument("--output-dir", help="where run folders go (default results/)")
    p.add_argument("--run-id", help="run folder name (default: a hash of the settings, so a rerun resumes)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR with its own settings")
    p.add_argument("--device", help="cpu or cuda")
    p.add_argument("--data-dir", help="folder holding local copies of the datasets (instead of the hub)")
    p.add_argument("--judge", help="judge model for judged tasks, e.g. openai:gpt-4o")
    p.add_argument("--judge-args", help="judge settings as k=v,k=v (base_url=..., api_key_env=...)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    from evalkit.runner.config import build_config
    from evalkit.runner.run import run

    settings = {
        "tasks": args.tasks, "model": args.model, "model_args": args.model_args, "protocol": args.protocol,
        "num_fewshot": args.num_fewshot, "limit": args.limit, "batch_size": args.batch_size, "seed": args.seed,
        "output_dir": args.output_dir, "run_id": args.run_id, "resume": args.resume, "device": args.device,
        "data_dir": args.data_dir, "judge": args.judge, "judge_args": args.judge_args,
    }
    config = build_config(settings, args.config)
    result = run(config, progress=not args.quiet and sys.stderr.isatty(), print_summary=True)
    for name, counts in result.counts.items():
        if counts.failed:
            print(f"evalkit: warning: {name}: {counts.failed} of {counts.total} samples failed "
                  f"(see 'error' in samples/{name}.jsonl); they are excluded from the scores and counted",
                  file=sys.stderr)
    return 1 if result.failed else 0
