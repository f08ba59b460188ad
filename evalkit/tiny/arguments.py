"""The command line of ``python -m evalkit.tiny.train``: its options, checked, as ``TrainSettings``."""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from evalkit.tiny.checkpoint import STORED_DTYPES
from evalkit.tiny.settings import BALANCES, DEFAULT_MIX, TrainSettings

DESCRIPTION = "Train qwen-vl-tiny on the synthetic train splits (see evalkit/tiny/train.py)."


class Invocation(NamedTuple):
    """What a command line asks for: the run's settings and what to do around it."""

    settings: TrainSettings
    export: Path | None
    resume: bool
    stop_at: int | None
    init_from: Path | None
    export_dtype: str


def parse_args(argv: list[str] | None = None) -> Invocation:
    defaults = TrainSettings(work_dir=Path("."))
    parser = argparse.ArgumentParser(prog="python -m evalkit.tiny.train", description=DESCRIPTION)
    parser.add_argument("--work-dir", type=Path, required=True, help="training state, log and exported model")
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--micro-batch", type=int, default=defaults.micro_batch,
                        help="images computed together; a step sums the gradients of its micro-batches, so "
                             "this changes the speed, not the result")
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--warmup", type=int, default=defaults.warmup)
    parser.add_argument("--schedule-start", type=int, default=defaults.schedule_start,
                        help="the step the warmup and cosine start from (for a continuation that warms up "
                             "afresh, the --init-from checkpoint's step)")
    parser.add_argument("--layers", type=int, default=defaults.architecture.layers,
                        help="language-model layers; --init-from a shallower checkpoint adds layers on top "
                             "that start out adding nothing (initialization.grow)")
    parser.add_argument("--queries", type=int, default=defaults.architecture.queries,
                        help="resampler queries, the image tokens of each image: a square number (official "
                             "Qwen-VL: 256; 64 is one per patch of the default 64 px image)")
    parser.add_argument("--hidden-size", type=int, default=defaults.architecture.hidden_size,
                        help="language-model width, also the resampler's output width: a multiple of 128")
    parser.add_argument("--mlp-width", type=int, default=defaults.architecture.mlp_width,
                        help="each SwiGLU branch of a language-model layer (config.json's intermediate_size "
                             "is twice this)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--save-minutes", type=float, default=defaults.save_minutes)
    parser.add_argument("--dense-weight", type=float, default=defaults.dense_weight,
                        help="weight of the image tokens' dense targets (0: none)")
    switch = argparse.BooleanOptionalAction
    parser.add_argument("--dense-places", action=switch, default=defaults.dense_places,
                        help="shape cells' dense targets also name their place on the 3x3 grid")
    parser.add_argument("--dense-glyph-words", action=switch, default=defaults.dense_glyph_words,
                        help="glyph cells' dense targets also name the word the letter belongs to")
    parser.add_argument("--vocab-as-appended", action=switch, default=defaults.vocab_as_appended,
                        help="learn the vocabulary from answers spaced as training appends them")
    parser.add_argument("--option-lookups", type=int, default=defaults.option_lookups,
                        help="option lookups per choice image (0: none)")
    parser.add_argument("--option-check-weight", type=float, default=defaults.option_check_weight,
                        help="weight of the option checks: at each choice option's last token, whether it is "
                             "the right one (sequences.option_checks; 0: none)")
    parser.add_argument("--seed-locations-and-scenes", action=switch, default=defaults.seed_locations_and_scenes,
                        help="SEED images also ask each shape's quadrant and the scene's description")
    parser.add_argument("--balanced-counts", action=switch, default=defaults.balanced_counts,
                        help="thin the auxiliary count questions so that their answers are spread about evenly")
    parser.add_argument("--vqa-places", action=switch, default=defaults.vqa_places,
                        help="VQA images also ask where each shape is and where each pair is relative to "
                             "each other, answered in SEED's option words")
    parser.add_argument("--questions-per-image", type=int, default=defaults.questions_per_image,
                        help="keep at most this many of each training image's questions, drawn at random "
                             "(0: all), so that a step's tokens spread over more images")
    parser.add_argument("--mix", type=_mix, default=dict(defaults.mix), metavar="TASK=WEIGHT,...",
                        help="the tasks training draws images from and their weights (relative; a task left "
                             "out is not trained on). Default: "
                             + ",".join(f"{task}={weight:g}" for task, weight in defaults.mix.items()))
    parser.add_argument("--balance", choices=BALANCES, default=defaults.balance,
                        help="how a step's answers share the objective: every question alike (the default), "
                             "or every image alike, its questions sharing its part, so that each task weighs "
                             "as much as --mix draws it")
    parser.add_argument("--curriculum-tasks", default=",".join(defaults.curriculum_tasks),
                        help="comma-separated tasks whose early scenes hold a single shape ('' for none)")
    parser.add_argument("--curriculum-until", type=float, default=defaults.curriculum_until,
                        help="fraction of the run after which no scene is held to a single shape")
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument("--bf16", dest="bf16", action="store_true", default=defaults.bf16,
                           help="train under bf16 autocast (fast only on a CPU with native bf16 instructions)")
    precision.add_argument("--fp32", dest="bf16", action="store_false", help="train in fp32 (the default)")
    parser.add_argument("--resume", action="store_true", help="continue from the state in --work-dir")
    parser.add_argument("--init-from", type=Path, help="start from an exported checkpoint folder (fresh optimizer)")
    parser.add_argument("--stop-at", type=int, help="stop after this step (the schedule still ends at --steps)")
    parser.add_argument("--export", type=Path, help="also write the final model to this folder")
    parser.add_argument("--export-dtype", choices=tuple(STORED_DTYPES), default="fp32",
                        help="how --export stores the weights (the model still runs in fp32): fp16 or bf16 "
                             "halve the file; resuming a finished run with --export re-exports it")
    args = parser.parse_args(argv)
    if args.steps <= 0 or args.batch_size <= 0 or args.micro_batch <= 0 or args.lr <= 0:
        parser.error("--steps, --batch-size, --micro-batch and --lr must be positive")
    if args.layers <= 0:
        parser.error("--layers must be positive")
    if args.queries <= 0 or math.isqrt(args.queries) ** 2 != args.queries:
        parser.error(f"--queries must be a positive square number (64, 256, ...), not {args.queries}")
    if args.hidden_size <= 0 or args.hidden_size % 128:
        parser.error(f"--hidden-size must be a positive multiple of 128 (the resampler's head width), "
                     f"not {args.hidden_size}")
    if args.mlp_width <= 0:
        parser.error("--mlp-width must be positive")
    if not 0 <= args.schedule_start < args.steps:
        parser.error("--schedule-start must be a step in [0, --steps)")
    if args.option_lookups < 0 or args.questions_per_image < 0:
        parser.error("--option-lookups and --questions-per-image must be 0 or more")
    if args.option_check_weight < 0 or args.dense_weight < 0:
        parser.error("--option-check-weight and --dense-weight must be 0 or more")
    curriculum_tasks = tuple(t.strip() for t in args.curriculum_tasks.split(",") if t.strip())
    unknown = [t for t in curriculum_tasks if t not in args.mix]
    if unknown:
        parser.error(f"--curriculum-tasks: {', '.join(unknown)} not among the trained tasks "
                     f"({', '.join(args.mix)}); name tasks of --mix, or pass --curriculum-tasks ''")
    if not 0 < args.curriculum_until <= 1:
        parser.error("--curriculum-until must be a fraction of the run in (0, 1]")
    if args.stop_at is not None and args.stop_at <= 0:
        parser.error("--stop-at must be a positive step number")
    settings = TrainSettings(work_dir=args.work_dir, steps=args.steps, batch_size=args.batch_size,
                             micro_batch=args.micro_batch, lr=args.lr,
                             warmup=args.warmup, seed=args.seed, bf16=args.bf16, threads=args.threads,
                             save_minutes=args.save_minutes, dense_weight=args.dense_weight,
                             dense_places=args.dense_places, dense_glyph_words=args.dense_glyph_words,
                             vocab_as_appended=args.vocab_as_appended,
                             option_lookups=args.option_lookups, option_check_weight=args.option_check_weight,
                             curriculum_tasks=curriculum_tasks,
                             seed_locations_and_scenes=args.seed_locations_and_scenes,
                             balanced_counts=args.balanced_counts, vqa_places=args.vqa_places,
                             questions_per_image=args.questions_per_image,
                             curriculum_until=args.curriculum_until, schedule_start=args.schedule_start,
                             mix=args.mix, balance=args.balance,
                             architecture=replace(defaults.architecture, layers=args.layers, queries=args.queries,
                                                  hidden_size=args.hidden_size, mlp_width=args.mlp_width))
    if args.resume and args.init_from is not None:
        parser.error("--resume and --init-from exclude each other: resume uses the state in --work-dir")
    return Invocation(settings, args.export, args.resume, args.stop_at, args.init_from, args.export_dtype)


def _mix(text: str) -> dict[str, float]:
    """``synth_mme=0.2,synth_seed=0.1`` as a mix, each task one the training knows, each weight positive."""
    known = DEFAULT_MIX
    mix: dict[str, float] = {}
    for item in (part.strip() for part in text.split(",")):
        task, sep, weight = item.partition("=")
        task = task.strip()
        if not sep or task not in known:
            raise argparse.ArgumentTypeError(
                f"{item!r} is not TASK=WEIGHT with TASK one of {', '.join(known)}")
        try:
            value = float(weight)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r}: the weight {weight.strip()!r} is not a number") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"{item!r}: a weight must be positive (leave a task out to skip it)")
        if task in mix:
            raise argparse.ArgumentTypeError(f"{task} is given twice")
        mix[task] = value
    return mix
