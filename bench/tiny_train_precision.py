"""Training step time of ``qwen-vl-tiny`` with bf16 autocast against fp32, on this machine's CPU.

Whether bf16 autocast pays depends on the CPU: with native bf16 instructions (AVX512-BF16, AMX) it
is the faster choice; without them the bf16 kernels are emulated. Both sides train the same network
(default sizes, vocabulary learned as training learns it) on the same packed batches of the default
mix, from the same weights, alternating for a number of rounds; each round is one optimizer step per
batch. Printed: whether torch reports native bf16, each round's seconds per step, and the ratio of
the fastest bf16 round to the fastest fp32 round (above 1: bf16 is slower here, train with ``--fp32``).

    python bench/tiny_train_precision.py [--steps 2] [--rounds 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2, help="optimizer steps per round and side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--first-step", type=int, default=2000, help="training step the batches are drawn for")
    args = parser.parse_args()

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
        tokenizer = QwenTokenizer.from_file(vocab)
    network = QwenVLNetwork(QwenVLConfig.from_dict(settings.architecture.config_json(tokenizer)))
    initialize(network, settings.seed)
    start = copy.deepcopy(network.state_dict())
    stream = batch_stream(settings, tokenizer)
    steps = [stream.packed(args.first_step + i, settings.micro_batch) for i in range(args.steps)]
    rows = sum(len(b.tasks) for batches in steps for b in batches)
    print(f"torch {torch.__version__}, {args.threads} threads, native bf16: {native_bf16()}")
    print(f"{args.steps} steps of {settings.batch_size} images ({rows} sequences) per round and side")

    def round_seconds(bf16: bool) -> float:
        network.load_state_dict(start)
        optimizer = torch.optim.AdamW(network.parameters(), lr=settings.lr)
        began = time.perf_counter()
        for batches in steps:
            optimizer.zero_grad(set_to_none=True)
            for batch in batches:
                losses, dense, _ = packed_losses(network, batch, bf16)
                (losses.mean() + settings.dense_weight * dense / max(1, batch.dense_ids.numel())).backward()
            optimizer.step()
        return (time.perf_counter() - began) / len(steps)

    best = {"fp32": float("inf"), "bf16": float("inf")}
    for r in range(args.rounds):
        for name in ("fp32", "bf16"):
            seconds = round_seconds(name == "bf16")
            best[name] = min(best[name], seconds)
            print(f"round {r + 1} {name}: {seconds:.2f} s/step")
    print(f"bf16 / fp32 step time (fastest rounds): {best['bf16'] / best['fp32']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
