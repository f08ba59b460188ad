"""The parity goldens of the official Qwen-VL-Chat code on the tiny recipe checkpoint (see golden/README.md)."""

from __future__ import annotations

import functools
import json
from typing import Any

import torch

from tests.qwen_vl.tiny_checkpoint import GOLDEN_DIR

TOLERANCE = 1e-4  # max-abs-diff the fixture asks of an fp32 re-implementation


@functools.lru_cache(maxsize=None)
def golden() -> dict[str, Any]:
    return json.loads((GOLDEN_DIR / "golden.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def golden_tensors() -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(GOLDEN_DIR / "golden.safetensors"))


def golden_image(name: str) -> Any:
    from PIL import Image

    with Image.open(GOLDEN_DIR / name) as image:
        return image.convert("RGB")


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.float() - b.float()).abs().max())
