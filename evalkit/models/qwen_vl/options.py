"""The ``--model-args`` a Qwen-VL model accepts, validated (values may be CLI strings or typed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch

from evalkit.errors import ConfigError, did_you_mean
from evalkit.models.qwen_vl.config import QwenVLConfig
from evalkit.models.qwen_vl.positions import ROPE_POSITIONS, RopePositions

DtypeName = Literal["auto", "bf16", "fp16", "fp32"]
_DTYPE_ALIASES: dict[str, DtypeName] = {
    "auto": "auto",
    "bf16": "bf16", "bfloat16": "bf16",
    "fp16": "fp16", "float16": "fp16", "half": "fp16",
    "fp32": "fp32", "float32": "fp32", "float": "fp32",
}
TORCH_DTYPES: dict[str, torch.dtype] = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
KNOWN_ARGS = {
    "device": "cpu | cuda | cuda:N (default: cuda when available, else cpu)",
    "dtype": "auto | bf16 | fp16 | fp32 (default auto: the config's bf16/fp16/fp32 flag, "
    "else bf16 on a GPU, fp32 on CPU)",
    "rope_positions": "per-sample | padded (default per-sample: a batched prompt is computed as it is alone; "
    "padded: the official batched numbering)",
}


@dataclass(frozen=True)
class LoadOptions:
    device: torch.device
    dtype: DtypeName
    rope_positions: RopePositions

    def torch_dtype(self, config: QwenVLConfig) -> torch.dtype:
        """The dtype to run in; ``auto`` follows the official precision choice."""
        if self.dtype != "auto":
            return TORCH_DTYPES[self.dtype]
        for flag, name in ((config.bf16, "bf16"), (config.fp16, "fp16"), (config.fp32, "fp32")):
            if flag:
                return TORCH_DTYPES[name]
        if self.device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32


def parse_options(model_args: dict[str, Any]) -> LoadOptions:
    unknown = sorted(set(model_args) - set(KNOWN_ARGS))
    if unknown:
        known = "; ".join(f"{k}: {v}" for k, v in KNOWN_ARGS.items())
        raise ConfigError(
            f"unknown Qwen-VL model argument {unknown[0]!r}{did_you_mean(unknown[0], KNOWN_ARGS)}; known: {known}"
        )
    return LoadOptions(
        device=_device(model_args.get("device")),
        dtype=_dtype(model_args.get("dtype", "auto")),
        rope_positions=_rope_positions(model_args.get("rope_positions", "per-sample")),
    )


def _device(value: Any) -> torch.device:
    if value is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(str(value))
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cpu", "cuda"):
        raise ConfigError(f"device={value!r} is not supported; use cpu, cuda or cuda:N")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device=cuda was asked for but torch sees no GPU here; pass device=cpu")
    return device


def _dtype(value: Any) -> DtypeName:
    name = str(value).strip().lower().removeprefix("torch.")
    if name not in _DTYPE_ALIASES:
        raise ConfigError(f"dtype={value!r} is not supported; use auto, bf16, fp16 or fp32")
    return _DTYPE_ALIASES[name]


def _rope_positions(value: Any) -> RopePositions:
    text = str(value).strip().lower()
    for choice in ROPE_POSITIONS:
        if text == choice:
            return choice
    raise ConfigError(f"rope_positions={value!r} is not supported; use {' or '.join(ROPE_POSITIONS)}")
