"""Training step time of ``qwen-vl-tiny`` under different micro-batch sizes, precisions and resampler
query counts, side by side.

Three things decide how fast a step trains on a CPU. The micro-batch: a step's images are packed one
row each, sorted by length and computed ``--micro-batch`` rows at a time; every row of a micro-batch
is padded to its longest, so large micro-batches compute padding (the gradient is the same sum
either way). The precision: bf16 autocast pays only on a CPU with native bf16 instructions
(AVX512-BF16, AMX); without them its kernels are emulated. The resampler's queries (``--queries``):
each is one image token the language model reads, for every question about the image.

Every variant trains a network of the default sizes (vocabulary learned as training learns it) on
the same packed batches of the default mix (the same images and questions; only the image spans'
length follows the query count), from the same weights for the same query count; the variants alternate for a
number of rounds, each round one optimizer step per batch. Printed: whether torch reports native
bf16, each round's seconds per step, and each variant's fastest round as a ratio of the first
variant's (below 1: faster than it).

    python bench/tiny_train_speed.py [--variants fp32:24,fp32:8,bf16:8,fp32:8:64] [--steps 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def parse_variants(text: str) -> list[tuple[str, int, int]]:
    """``PRECISION:MICRO_BATCH[:QUERIES]`` items (queries 256 when left out)."""
    variants = []
    for item in text.split(","):
        fields = item.strip().split(":")
        precision, micro, queries = (fields + ["256"])[:3] if len(fields) in (2, 3) else ("", "", "")
        if (precision not in ("fp32", "bf16") or not micro.isdigit() or int(micro) <= 0
                or not queries.isdigit() or int(queries) <= 0 or math.isqrt(int(queries)) ** 2 != int(queries)):
            raise SystemExit(f"--variants: {item!r} is not PRECISION:MICRO_BATCH[:QUERIES] (e.g. fp32:8, bf16:24 "
                             f"or fp32:8:64; queries a square number)")
        variants.append((precision, int(micro), int(queries)))
    return variants


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default="fp32:24,fp32:8,bf16:8,fp32:8:64",
                        help="comma-separated PRECISION:MICRO_BATCH[:QUERIES]; the first is the reference")
    parser.add_argument("--steps", type=int, default=2, help="optimizer steps per round and variant")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--first-step", type=int, default=2000, help="training step the batches are drawn for")
    args = parser.parse_args()
    variants = parse_variants(args.variants)

    import torch

    from evalkit.models.qwen_vl.config import QwenVLConfig
    from evalkit.models.qwen_vl.network import QwenVLNetwork
    from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
    from evalkit.tiny.initialization import initialize
    from evalkit.tiny.settings import TrainSettings
    from evalkit.tiny.train import batch_stream, build_vocabulary, native_bf16, packed_losses

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        settings = TrainSettings(work_dir=Path(tmp))
        vocab = Path(tmp) / "qwen.tiktoken"
        build_vocabulary(settings, vocab)
        tokenizers = {q: QwenTokenizer.from_file(vocab, image_span=q) for _, _, q in variants}
    networks, starts, steps = {}, {}, {}
    for queries, tokenizer in tokenizers.items():
        sized = replace(settings, architecture=replace(settings.architecture, queries=queries))
        networks[queries] = QwenVLNetwork(QwenVLConfig.from_dict(sized.architecture.config_json(tokenizer)))
        initialize(networks[queries], settings.seed)
        starts[queries] = copy.deepcopy(networks[queries].state_dict())
        stream = batch_stream(sized, tokenizer)
        for _, micro, q in variants:
            if q == queries and (micro, q) not in steps:
                steps[micro, q] = [stream.packed(args.first_step + i, micro) for i in range(args.steps)]
    sequences = sum(len(b.tasks) for batches in next(iter(steps.values())) for b in batches)
    print(f"torch {torch.__version__}, {args.threads} threads, native bf16: {native_bf16()}")
    print(f"{args.steps} steps of {settings.batch_size} images ({sequences} sequences) per round and variant")

    def round_seconds(bf16: bool, micro: int, queries: int) -> float:
        network = networks[queries]
        network.load_state_dict(starts[queries])
        optimizer = torch.optim.AdamW(network.parameters(), lr=settings.lr)
        began = time.perf_counter()
        for batches in steps[micro, queries]:
            optimizer.zero_grad(set_to_none=True)
            n_sequences = sum(len(b.tasks) for b in batches)
            n_cells = max(1, sum(b.dense_ids.numel() for b in batches))
            for batch in batches:
                losses, dense, _ = packed_losses(network, batch, bf16)
                (losses.sum() / n_sequences + settings.dense_weight * dense / n_cells).backward()
            optimizer.step()
        return (time.perf_counter() - began) / len(steps[micro, queries])

    names = [f"{precision} micro-batch {micro} queries {queries}" for precision, micro, queries in variants]
    best = dict.fromkeys(names, float("inf"))
    for r in range(args.rounds):
        for name, (precision, micro, queries) in zip(names, variants):
            seconds = round_seconds(precision == "bf16", micro, queries)
            best[name] = min(best[name], seconds)
            print(f"round {r + 1} {name}: {seconds:.2f} s/step")
    reference = names[0]
    for name in names[1:]:
        print(f"{name} / {reference} step time (fastest rounds): {best[name] / best[reference]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
