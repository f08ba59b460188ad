"""The checkpoint's ``config.json`` and ``generation_config.json`` in the official Qwen-VL schema.

Only the fields that change the computation are read; everything else in the official files
(``auto_map``, ``architectures``, dropout rates that are zero at inference) is ignored. A GPTQ
checkpoint (``quantization_config`` present, e.g. ``Qwen/Qwen-VL-Chat-Int4``) is refused.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from evalkit.errors import ModelLoadError

ChatFormat = Literal["chatml", "raw"]


@dataclass(frozen=True)
class VisualConfig:
    """The vision tower and resampler (``config.json`` → ``visual``)."""

    width: int
    layers: int
    heads: int
    mlp_ratio: float
    image_size: int
    patch_size: int
    output_dim: int
    image_start_id: int
    # the resampler's queries, one image token each, a square grid; not in the official schema, whose
    # checkpoints all have 256 (``qwen-vl-tiny`` may have fewer: its config then says how many)
    n_queries: int = 256

    @property
    def mlp_width(self) -> int:
        # The official tower truncates the product (1664 * 4.9231 -> 8192).
        return int(self.width * self.mlp_ratio)

    @property
    def grid_size(self) -> int:
        return self.image_size // self.patch_size

    @property
    def resampler_heads(self) -> int:
        return self.output_dim // 128


@dataclass(frozen=True)
class QwenVLConfig:
    """The language model plus its vision tower, as the official ``QWenConfig`` describes them."""

    vocab_size: int
    hidden_size: int
    num_attention_heads: int
    kv_channels: int
    num_hidden_layers: int
    intermediate_size: int
    layer_norm_epsilon: float
    rotary_emb_base: float
    rotary_pct: float
    seq_length: int
    use_dynamic_ntk: bool
    use_logn_attn: bool
    no_bias: bool
    bf16: bool
    fp16: bool
    fp32: bool
    visual: VisualConfig

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @property
    def mlp_width(self) -> int:
        # ``intermediate_size`` counts both SwiGLU branches; each is half of it.
        return self.intermediate_size // 2

    @property
    def image_start_id(self) -> int:
        return self.visual.image_start_id

    @classmethod
    def from_dict(cls, raw: dict[str, Any], where: str = "config.json") -> "QwenVLConfig":
        if raw.get("quantization_config") is not None:
            method = raw["quantization_config"].get("quant_method", "quantized")
            raise ModelLoadError(
                f"{where} describes a {method.upper()}-quantized checkpoint (e.g. Qwen/Qwen-VL-Chat-Int4); "
                f"quantized Qwen-VL weights are not supported: use Qwen/Qwen-VL-Chat and pass "
                f"--model-args dtype=bf16 (or fp16) instead"
            )
        if raw.get("model_type") != "qwen":
            raise ModelLoadError(
                f"{where} has model_type {raw.get('model_type')!r}, not 'qwen': "
                f"this loader reads the original Qwen-VL / Qwen-VL-Chat checkpoints only"
            )
        if "visual" not in raw:
            raise ModelLoadError(
                f"{where} has no 'visual' section: it is a text-only Qwen checkpoint, not Qwen-VL"
            )
        try:
            visual = raw["visual"]
            config = cls(
                vocab_size=int(raw["vocab_size"]),
                hidden_size=int(raw["hidden_size"]),
                num_attention_heads=int(raw["num_attention_heads"]),
                kv_channels=int(raw["kv_channels"]),
                num_hidden_layers=int(raw["num_hidden_layers"]),
                intermediate_size=int(raw["intermediate_size"]),
                layer_norm_epsilon=float(raw.get("layer_norm_epsilon", 1e-6)),
                rotary_emb_base=float(raw.get("rotary_emb_base", 10000)),
                rotary_pct=float(raw.get("rotary_pct", 1.0)),
                seq_length=int(raw.get("seq_length", 2048)),
                use_dynamic_ntk=bool(raw.get("use_dynamic_ntk", True)),
                use_logn_attn=bool(raw.get("use_logn_attn", True)),
                no_bias=bool(raw.get("no_bias", True)),
                bf16=bool(raw.get("bf16", False)),
                fp16=bool(raw.get("fp16", False)),
                fp32=bool(raw.get("fp32", False)),
                visual=VisualConfig(
                    width=int(visual["width"]),
                    layers=int(visual["layers"]),
                    heads=int(visual["heads"]),
                    mlp_ratio=float(visual["mlp_ratio"]),
                    image_size=int(visual["image_size"]),
                    patch_size=int(visual["patch_size"]),
                    output_dim=int(visual["output_dim"]),
                    image_start_id=int(visual["image_start_id"]),
                    n_queries=int(visual.get("n_queries", 256)),
                ),
            )
        except KeyError as exc:
            raise ModelLoadError(f"{where} lacks the field {exc.args[0]!r} of the official Qwen-VL schema") from exc
        config._validate(where)
        return config

    def _validate(self, where: str) -> None:
        problems = []
        if self.kv_channels * self.num_attention_heads != self.hidden_size:
            problems.append("kv_channels * num_attention_heads must equal hidden_size")
        if self.rotary_pct != 1.0:
            problems.append("rotary_pct other than 1.0 is not used by any Qwen-VL checkpoint")
        if self.bf16 + self.fp16 + self.fp32 > 1:
            problems.append('only one of "bf16", "fp16", "fp32" can be true')
        if self.visual.output_dim != self.hidden_size:
            problems.append("visual.output_dim must equal hidden_size")
        if self.visual.output_dim % 128:
            problems.append("visual.output_dim must be a multiple of 128 (the resampler's head width)")
        if self.visual.width % self.visual.heads:
            problems.append("visual.width must be divisible by visual.heads")
        if self.visual.image_size % self.visual.patch_size:
            problems.append("visual.image_size must be a multiple of visual.patch_size")
        side = math.isqrt(max(self.visual.n_queries, 0))
        if self.visual.n_queries <= 0 or side * side != self.visual.n_queries:
            problems.append("visual.n_queries (the resampler's queries, 256 when absent) must be a positive square")
        if problems:
            raise ModelLoadError(f"{where} is not a valid Qwen-VL config: " + "; ".join(problems))


@dataclass(frozen=True)
class GenerationDefaults:
    """What ``generation_config.json`` says about prompting and stopping.

    ``chat_format`` is ``chatml`` for Qwen-VL-Chat and ``raw`` for the base model; sampling fields
    (``top_p`` etc.) are ignored because evalkit decodes greedily.
    """

    chat_format: ChatFormat = "raw"
    max_window_size: int = 6144
    eos_token_id: int = 151643
    pad_token_id: int = 151643

    @classmethod
    def from_dict(cls, raw: dict[str, Any], where: str = "generation_config.json") -> "GenerationDefaults":
        chat_format = raw.get("chat_format", "raw")
        if chat_format not in ("chatml", "raw"):
            raise ModelLoadError(f"{where} has chat_format {chat_format!r}; expected 'chatml' or 'raw'")
        return cls(
            chat_format=chat_format,
            max_window_size=int(raw.get("max_window_size", 6144)),
            eos_token_id=int(raw.get("eos_token_id", 151643)),
            pad_token_id=int(raw.get("pad_token_id", 151643)),
        )


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path} must hold a JSON object")
    return data


def load_config(folder: Path) -> QwenVLConfig:
    path = folder / "config.json"
    if not path.is_file():
        raise ModelLoadError(f"{folder} has no config.json; point --model at a Qwen-VL checkpoint folder")
    return QwenVLConfig.from_dict(read_json(path), where=str(path))


def load_generation_defaults(folder: Path) -> GenerationDefaults:
    """The checkpoint's generation config; a folder without one is treated as the base model (raw)."""
    path = folder / "generation_config.json"
    if not path.is_file():
        return GenerationDefaults()
    return GenerationDefaults.from_dict(read_json(path), where=str(path))
