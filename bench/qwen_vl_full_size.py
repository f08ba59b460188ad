"""Full-size Qwen-VL-Chat architecture (official config, random bf16 weights) on one GPU.

64 MME-shaped prompts (ChatML, one 448×448 image, a yes/no question: about 290 ids) are run at
batch 1 and at larger batch sizes. For each batch size the bench times the vision tower plus the
prefill, and a fixed-length greedy decode (32 new tokens, stop tokens masked so every row decodes
the same work), and reports throughputs and the share of the GPU's dense bf16 peak (prefill) and
of its memory bandwidth (decode) they reach. ``--write`` appends a section to bench/RESULTS.md.

``--tiny`` runs the same code on the tiny test config (a CPU smoke test of the bench itself).
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from pathlib import Path

import torch

from evalkit.models.qwen_vl.config import QwenVLConfig
from evalkit.models.qwen_vl.generation import GreedySettings, greedy_generate
from evalkit.models.qwen_vl.network import QwenVLNetwork

REPO_ROOT = Path(__file__).resolve().parents[1]
OFFICIAL_CONFIG = {  # Qwen/Qwen-VL-Chat config.json, the fields that shape the computation
    "model_type": "qwen", "vocab_size": 151936, "hidden_size": 4096, "num_attention_heads": 32,
    "kv_channels": 128, "num_hidden_layers": 32, "intermediate_size": 22016, "layer_norm_epsilon": 1e-6,
    "rotary_emb_base": 10000, "rotary_pct": 1.0, "seq_length": 2048, "use_dynamic_ntk": True,
    "use_logn_attn": True, "no_bias": True,
    "visual": {"heads": 16, "image_size": 448, "image_start_id": 151857, "layers": 48, "mlp_ratio": 4.9231,
               "output_dim": 4096, "patch_size": 14, "width": 1664},
}
H200_BF16_DENSE_FLOPS = 989e12  # NVIDIA H200 SXM datasheet, dense BF16 tensor-core peak
H200_HBM_BYTES_PER_S = 4.8e12
PROMPT_TEXT_IDS = 33  # ChatML wrapper + question around the 258 image ids (MME form)
NEW_TOKENS = 32


def build_network(config: QwenVLConfig, device: torch.device, dtype: torch.dtype) -> QwenVLNetwork:
    with torch.device(device):
        network = QwenVLNetwork(config)
    generator = torch.Generator(device=device).manual_seed(0)
    with torch.no_grad():
        for name, param in network.named_parameters():
            if name.split(".")[-2].startswith("ln") and name.endswith("weight"):
                param.fill_(1.0)
            else:
                param.normal_(0.0, 0.02, generator=generator)
    return network.to(dtype).requires_grad_(False).train(False)


def mme_prompt(config: QwenVLConfig, index: int) -> list[int]:
    start = config.image_start_id
    g = torch.Generator().manual_seed(index)
    text = torch.randint(0, 151643, (PROMPT_TEXT_IDS,), generator=g).tolist()
    image = [start] + [ord(c) for c in f"mme/{index:05d}.jpg"]
    image += [start + 2] * (257 - len(image)) + [start + 1]
    return text[:14] + image + text[14:]


def param_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_batch_size(
    network: QwenVLNetwork, prompts: list[list[int]], pixels: torch.Tensor, batch: int
) -> dict[str, float]:
    device = network.device
    settings = GreedySettings(NEW_TOKENS, NEW_TOKENS, (151643, 151644, 151645), 151643)
    prefill_s = total_s = 0.0
    for start in range(0, len(prompts), batch):
        chunk, chunk_pixels = prompts[start : start + batch], pixels[start : start + batch].to(device)
        sync(device)
        t0 = time.perf_counter()
        with torch.inference_mode():
            features = network.encode_images(chunk_pixels)
            one = GreedySettings(1, 1, settings.stop_ids, settings.pad_id)
            greedy_generate(network, chunk, features, one)
        sync(device)
        t1 = time.perf_counter()
        with torch.inference_mode():
            features = network.encode_images(chunk_pixels)
            greedy_generate(network, chunk, features, settings)
        sync(device)
        t2 = time.perf_counter()
        prefill_s += t1 - t0
        total_s += t2 - t1
    return {"prefill_s": prefill_s, "decode_s": max(total_s - prefill_s, 1e-9), "total_s": total_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="smoke-test the bench on the tiny config (CPU)")
    parser.add_argument("--batch-sizes", default="1,8,16,32,64")
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--write", action="store_true", help="append the results to bench/RESULTS.md")
    args = parser.parse_args()
    if args.tiny:
        raw = json.loads((REPO_ROOT / "tests/qwen_vl/golden/config.json").read_text())
        device, dtype = torch.device("cpu"), torch.float32
    else:
        raw, device, dtype = OFFICIAL_CONFIG, torch.device("cuda"), torch.bfloat16
    config = QwenVLConfig.from_dict(raw)
    network = build_network(config, device, dtype)
    prompts = [mme_prompt(config, i) for i in range(args.samples)]
    pixels = torch.randn(args.samples, 3, 448, 448, generator=torch.Generator().manual_seed(1))
    vit_params = param_count(network.transformer.visual)
    lm_params = param_count(network) - vit_params - network.transformer.wte.weight.numel()
    prompt_len = len(prompts[0])
    # Matmul FLOPs: 2 per parameter per token (ViT over 1024 patches, LM over the prompt), attention ignored.
    prefill_flops = 2 * (vit_params * 1024 + lm_params * prompt_len)
    decode_bytes_per_step = lm_params * torch.finfo(dtype).bits // 8  # LM weights read once per step (KV cache ignored)
    run_batch_size(network, prompts[: min(8, args.samples)], pixels, min(8, args.samples))  # warm-up
    rows = []
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        r = run_batch_size(network, prompts, pixels, batch)
        n = len(prompts)
        steps = -(-n // batch) * (NEW_TOKENS - 1)
        rows.append({
            "batch": batch,
            "samples_per_s": n / r["total_s"],
            "prefill_tokens_per_s": n * prompt_len / r["prefill_s"],
            "prefill_flops_share": n * prefill_flops / r["prefill_s"] / H200_BF16_DENSE_FLOPS,
            "decode_tokens_per_s": n * (NEW_TOKENS - 1) / r["decode_s"],
            "decode_bandwidth_share": steps * decode_bytes_per_step / r["decode_s"] / H200_HBM_BYTES_PER_S,
        })
    best = max(rows, key=lambda row: row["samples_per_s"])
    lines = [
        f"## Qwen-VL full-size architecture ({'tiny smoke test' if args.tiny else torch.cuda.get_device_name()}), "
        f"{datetime.date.today()}",
        "",
        f"Random {str(dtype).removeprefix('torch.')} weights, official config; {len(prompts)} MME-shaped prompts "
        f"({prompt_len} ids, one image), {NEW_TOKENS} new tokens each. Shares are of the H200's dense BF16 peak "
        f"(prefill, matmul FLOPs) and HBM bandwidth (decode, weight bytes per step).",
        "",
        "| batch | samples/s | prefill tok/s | prefill % of peak FLOPs | decode tok/s | decode % of HBM bandwidth |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['batch']} | {row['samples_per_s']:.2f} | {row['prefill_tokens_per_s']:.0f} | "
            f"{100 * row['prefill_flops_share']:.1f} | {row['decode_tokens_per_s']:.0f} | "
            f"{100 * row['decode_bandwidth_share']:.1f} |"
        )
    lines += [
        "",
        f"Best batch size {best['batch']}: "
        f"{best['samples_per_s'] / rows[0]['samples_per_s']:.2f}x the samples/s of batch 1.",
        "",
    ]
    print("\n".join(lines))
    if args.write:
        with (REPO_ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
