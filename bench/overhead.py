"""Harness overhead: end-to-end ``evalkit.run`` time against the pure model time on the same samples.

Both sides use one loaded model (a randomly initialised Qwen2-VL large enough that its forward
dominates, built locally in the official layout), the same prompts and the same batches. The model
side calls ``generate`` directly on prompts whose images are already decoded; the harness side is
the whole pipeline: reading the parquet, building prompts, background image decoding, journaling
with fsync, extraction, scoring, confidence intervals and the result files. The two sides
alternate for a number of rounds; printed: each round, and the ratio of the fastest harness round
to the fastest model round (goal: ≤ 1.05).

    python bench/overhead.py [--samples 64] [--batch-size 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def build_model(folder: Path, hidden: int, layers: int) -> Path:
    """The tiny test checkpoint, with its language model widened so the forward pass dominates."""
    import torch
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    from tests.tiny_qwen2vl import build_tiny_qwen2_vl

    build_tiny_qwen2_vl(folder, seed=0)
    config = Qwen2VLConfig.from_pretrained(folder)
    text = config.text_config
    text.hidden_size, text.num_hidden_layers, text.intermediate_size = hidden, layers, 4 * hidden
    text.num_attention_heads, text.num_key_value_heads = hidden // 64, hidden // 64
    half = (hidden // text.num_attention_heads) // 2  # multimodal RoPE splits half the head dim 1:1.5:1.5
    for rope in (getattr(text, "rope_parameters", None), getattr(text, "rope_scaling", None)):
        if isinstance(rope, dict) and "mrope_section" in rope:
            rope["mrope_section"] = [half // 4, 3 * half // 8, half - half // 4 - 3 * half // 8]
    if getattr(text, "layer_types", None) is not None:
        text.layer_types = [text.layer_types[0]] * layers
    config.vision_config.hidden_size = hidden  # the merger projects image features to the LM width
    torch.manual_seed(0)
    model = Qwen2VLForConditionalGeneration(config).eval()
    model.save_pretrained(folder)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=64, help="questions (two per image)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5, help="alternating rounds of each side")
    args = parser.parse_args()

    from tests.e2e_support import make_task

    work = Path(tempfile.mkdtemp(prefix="evalkit-overhead-"))
    tasks_dir, data_dir = make_task(work, n_images=args.samples // 2, max_new_tokens=args.max_new_tokens)
    os.environ["EVALKIT_TASKS_PATH"] = str(tasks_dir)
    os.environ["HF_HUB_OFFLINE"] = "1"

    import evalkit
    from evalkit.models.base import GenerateRequest
    from evalkit.runner.prepare import build_prompts, load_task
    from evalkit.tasks.registry import get_task

    model = evalkit.load_model(str(build_model(work / "model", args.hidden, args.layers)), device="cpu")
    spec = get_task("e2e_vqa")

    def model_only() -> tuple[float, float]:
        task = build_prompts(load_task(spec, protocol=None, num_fewshot=0, limit=None, data_dir=data_dir),
                             family=model.family, seed=1234)
        order = sorted(task.samples, key=lambda s: -len(task.prompts[s.id].render_text()))
        for s in order:
            for image in task.prompts[s.id].images:
                image.load()
        settings = task.settings()
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(order), args.batch_size):
            model.generate([GenerateRequest(task.prompts[s.id], settings) for s in order[i:i + args.batch_size]])
        return time.perf_counter() - start, time.process_time() - cpu

    def harness(rep: int) -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        evalkit.run(tasks="e2e_vqa", model=model, data_dir=str(data_dir), output_dir=str(work / f"run{rep}"),
                    batch_size=args.batch_size, progress=False)
        return time.perf_counter() - start, time.process_time() - cpu

    model_only()  # warm-up: first calls allocate
    model_times, run_times = [], []
    for rep in range(args.repeats):  # alternate the two sides so both see the same machine
        (m_wall, m_cpu), (r_wall, r_cpu) = model_only(), harness(rep)
        model_times.append(m_wall)
        run_times.append(r_wall)
        print(f"round {rep}: evalkit run {r_wall:.2f} s ({r_cpu:.2f} s CPU), model alone {m_wall:.2f} s "
              f"({m_cpu:.2f} s CPU), ratio {r_wall / m_wall:.3f}")
    # Other processes only ever add time, so the fastest round of each side is the best estimate of
    # its own cost; the ratio of the two minimums is the harness overhead.
    print(json.dumps({"samples": args.samples, "batch_size": args.batch_size, "hidden": args.hidden,
                      "layers": args.layers, "fastest_run_s": round(min(run_times), 3),
                      "fastest_model_s": round(min(model_times), 3),
                      "overhead_ratio": round(min(run_times) / min(model_times), 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
