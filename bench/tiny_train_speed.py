"""Training step time of ``qwen-vl-tiny`` under different micro-batch sizes, precisions, resampler
query counts, images per step and questions per image, side by side.

Three things decide how fast a step trains on a CPU. The micro-batch: a step's images are packed one
row each, sorted by length and computed ``--micro-batch`` rows at a time; every row of a micro-batch
is padded to its longest, so large micro-batches compute padding (the gradient is the same sum
either way). The precision: bf16 autocast pays only on a CPU with native bf16 instructions
(AVX512-BF16, AMX); without them its kernels are emulated. The resampler's queries (``--queries``):
each is one image token the language model reads, for every question about the image.

Two more decide how many images a second it sees: the images a step holds and how many of each
image's questions it keeps (``--batch-size``, ``--questions-per-image``).

Every variant trains a network of the sizes and options ``--train-args`` gives (the training
script's own arguments; by default its defaults; the vocabulary learned as training learns it) on
packed batches drawn for the same steps of the same stream: the same images and questions when the
variants share the images per step and questions per image, only the image spans' length following
the query count. Variants of one query count start from the same weights; they alternate for a
number of rounds, each round one optimizer step per batch, with the objective training computes
(``train.step_objective``). Printed: whether torch reports native bf16,
each round's seconds per step and images a second, and each variant's fastest round as a ratio of
the first variant's, per step and per image (below 1: faster than it).

    python bench/tiny_train_speed.py [--variants fp32:24,fp32:8,bf16:8,fp32:8:64] [--steps 2] [--rounds 3]
    python bench/tiny_train_speed.py --train-args "--layers 4 --hidden-size 256 --mlp-width 512 --queries 16" \
        --variants fp32:2:16:8,fp32:4:16:32:3 --first-step 3000
"""

from __future__ import annotations

import argparse
import copy
import math
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evalkit.tiny.settings import TrainSettings  # noqa: E402


@dataclass(frozen=True)
class Variant:
    precision: str
    micro_batch: int
    queries: int
    batch_size: int
    questions_per_image: int

    @property
    def name(self) -> str:
        kept = f", {self.questions_per_image} questions an image" if self.questions_per_image else ""
        return (f"{self.precision} micro-batch {self.micro_batch} queries {self.queries}, "
                f"{self.batch_size} images{kept}")


VARIANT_FORM = "PRECISION:MICRO_BATCH[:QUERIES[:IMAGES[:QUESTIONS]]]"


def parse_variants(text: str, base_queries: int, base_images: int, base_questions: int) -> list[Variant]:
    """``PRECISION:MICRO_BATCH[:QUERIES[:IMAGES[:QUESTIONS]]]`` items; what is left out is the base
    settings' (queries 256, 24 images a step and every question of an image by default)."""
    variants = []
    for item in text.split(","):
        fields = item.strip().split(":")
        numbers = fields[1:]
        if (not 2 <= len(fields) <= 5 or fields[0] not in ("fp32", "bf16")
                or not all(n.isdigit() for n in numbers)):
            raise SystemExit(f"--variants: {item!r} is not {VARIANT_FORM} (e.g. fp32:8, bf16:24, fp32:8:64 "
                             f"or fp32:4:16:32:3)")
        micro, queries, images, questions = [int(n) for n in numbers] + [base_queries, base_images,
                                                                           base_questions][len(numbers) - 1:]
        if micro <= 0 or images <= 0 or queries <= 0 or math.isqrt(queries) ** 2 != queries:
            raise SystemExit(f"--variants: {item!r}: the micro-batch and images must be positive and the "
                             f"queries a square number")
        variants.append(Variant(fields[0], micro, queries, images, questions))
    return variants


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default="fp32:24,fp32:8,bf16:8,fp32:8:64",
                        help=f"comma-separated {VARIANT_FORM}; the first is the reference")
    parser.add_argument("--train-args", default="",
                        help="the training script's arguments that set the sizes and options measured "
                             "(e.g. \"--layers 4 --hidden-size 256 --queries 16 --vqa-places\")")
    parser.add_argument("--steps", type=int, default=2, help="optimizer steps per round and variant")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--first-step", type=int, default=2000, help="training step the batches are drawn for")
    args = parser.parse_args()

    import torch

    from evalkit.models.qwen_vl.config import QwenVLConfig
    from evalkit.models.qwen_vl.network import QwenVLNetwork
    from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
    from evalkit.tiny.initialization import initialize
    from evalkit.tiny.train import (
        StepCounts,
        batch_stream,
        build_vocabulary,
        native_bf16,
        packed_losses,
        parse_args,
        step_objective,
    )

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(parse_args(["--work-dir", tmp, *shlex.split(args.train_args)]).settings,
                           work_dir=Path(tmp))
        variants = parse_variants(args.variants, settings.architecture.queries, settings.batch_size,
                                  settings.questions_per_image)
        vocab = Path(tmp) / "qwen.tiktoken"
        build_vocabulary(settings, vocab)
        tokenizers = {v.queries: QwenTokenizer.from_file(vocab, image_span=v.queries) for v in variants}

    def sized(variant: Variant) -> TrainSettings:
        return replace(settings, batch_size=variant.batch_size, questions_per_image=variant.questions_per_image,
                       architecture=replace(settings.architecture, queries=variant.queries))

    networks, starts, steps = {}, {}, {}
    for variant in variants:
        if variant.queries not in networks:
            tokenizer = tokenizers[variant.queries]
            config = QwenVLConfig.from_dict(sized(variant).architecture.config_json(tokenizer))
            networks[variant.queries] = QwenVLNetwork(config)
            initialize(networks[variant.queries], settings.seed)
            starts[variant.queries] = copy.deepcopy(networks[variant.queries].state_dict())
        stream = batch_stream(sized(variant), tokenizers[variant.queries])
        steps[variant] = [stream.packed(args.first_step + i, variant.micro_batch) for i in range(args.steps)]
    print(f"torch {torch.__version__}, {args.threads} threads, native bf16: {native_bf16()}")
    for variant in dict.fromkeys(variants):
        sequences = sum(len(b.tasks) for batches in steps[variant] for b in batches)
        tokens = sum(int(b.ids.numel()) for batches in steps[variant] for b in batches)
        print(f"{variant.name}: {args.steps} steps of {sequences} sequences, {tokens} tokens with padding")

    def round_seconds(variant: Variant) -> float:
        network = networks[variant.queries]
        network.load_state_dict(starts[variant.queries])
        optimizer = torch.optim.AdamW(network.parameters(), lr=settings.lr)
        began = time.perf_counter()
        for batches in steps[variant]:
            optimizer.zero_grad(set_to_none=True)
            counts = StepCounts.of(batches)
            for batch in batches:
                outputs = packed_losses(network, batch, variant.precision == "bf16")
                step_objective(outputs, batch, settings, counts)[0].backward()
            optimizer.step()
        return (time.perf_counter() - began) / len(steps[variant])

    best = dict.fromkeys(variants, float("inf"))
    for r in range(args.rounds):
        for variant in variants:
            seconds = round_seconds(variant)
            best[variant] = min(best[variant], seconds)
            print(f"round {r + 1} {variant.name}: {seconds:.2f} s/step, {variant.batch_size / seconds:.1f} images/s")
    reference = variants[0]
    for variant in variants[1:]:
        per_step = best[variant] / best[reference]
        per_image = per_step * reference.batch_size / variant.batch_size
        print(f"{variant.name} / {reference.name} (fastest rounds): step time {per_step:.2f}, "
              f"time per image {per_image:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
