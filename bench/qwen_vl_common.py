"""Shared set-up of the Qwen-VL benches: the model under test and synthetic benchmark-shaped prompts.

Run the benches from the repository root (``python bench/qwen_vl_choice.py``). Without ``--model``
they build the tiny random checkpoint of the parity tests (needs the ``dashscope`` package for
``qwen.tiktoken``).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def model_from_args(description: str) -> tuple[Any, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", help="checkpoint folder or hub id (default: build the tiny random checkpoint)")
    parser.add_argument("--model-args", default="", help="k=v,... e.g. device=cuda,dtype=bf16")
    parser.add_argument("--samples", type=int, default=16, help="how many prompts to run")
    parser.add_argument("--rounds", type=int, default=2, help="timing rounds; the fastest of each method counts")
    args = parser.parse_args()
    from evalkit.models.qwen_vl import load
    from evalkit.runner.config import parse_kv

    model_args = {"device": "cpu", "dtype": "fp32", **parse_kv(args.model_args, "--model-args")}
    if args.model:
        return load(args.model, **model_args), args
    sys.path.insert(0, str(REPO_ROOT))
    from tests.qwen_vl.tiny_checkpoint import write_tiny_checkpoint

    folder = write_tiny_checkpoint(Path(tempfile.mkdtemp(prefix="qwen-vl-bench-")) / "tiny")
    return load(str(folder), **model_args), args


def synthetic_image(index: int) -> Any:
    """A seeded random image of a benchmark-like size, as an in-memory ``LazyImage``."""
    from PIL import Image

    from evalkit.data.images import LazyImage

    rng = np.random.default_rng(index)
    width, height = int(rng.integers(200, 900)), int(rng.integers(200, 900))
    pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return LazyImage(f"bench/{index:05d}.png", buffer.getvalue())


def best_of(rounds: int, methods: dict[str, Callable[[], T]]) -> dict[str, tuple[T, float]]:
    """Run the methods in turn, ``rounds`` times, and keep each one's fastest time (a shared machine is noisy)."""
    best: dict[str, tuple[T, float]] = {}
    for _ in range(rounds):
        for name, fn in methods.items():
            start = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - start
            if name not in best or elapsed < best[name][1]:
                best[name] = (result, elapsed)
    return best


def preload(images: list[Any]) -> None:
    """Decode every image up front: in a run the data loader does this off the model's critical path."""
    for image in images:
        image.load()
