"""Build a tiny, randomly initialised Qwen-VL checkpoint in the official layout.

The weights follow the parity fixture's recipe (``golden/recipe.md``): every tensor is
``randn(shape) * 0.02`` from a CPU generator seeded with the CRC-32 of its key; norm scales add 1;
the resampler's ``pos_embed`` is the official fixed 2-D sin-cos table. With ``golden/config.json``
this rebuilds, bit for bit, the checkpoint the official code produced the goldens with.

The folder holds what a hub snapshot of Qwen-VL holds: ``config.json``, ``generation_config.json``,
``qwen.tiktoken`` (from the ``dashscope`` package) and sharded weights with their index, as
safetensors (``model-0000N-of-0000M.safetensors``) or torch files (``pytorch_model-…bin``).

Other tests use it as ``tiny_checkpoint()`` (built once per process, removed at exit) or
``write_tiny_checkpoint(folder, ...)`` for a variant.
"""

from __future__ import annotations

import atexit
import copy
import functools
import json
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest
import torch

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
NORM_NAMES = ("ln_1", "ln_2", "ln_f", "ln_pre", "ln_post", "ln_q", "ln_kv")
WeightFormat = Literal["safetensors", "bin"]


def qwen_tiktoken_path() -> Path:
    """The real ``qwen.tiktoken`` shipped inside the ``dashscope`` wheel (the test skips without it)."""
    try:
        import dashscope
    except ImportError:
        pytest.skip("the dashscope package (a test dependency) provides qwen.tiktoken; pip install dashscope")
    path = Path(dashscope.__file__).resolve().parent / "resources" / "qwen.tiktoken"
    if not path.is_file():
        pytest.skip(f"this dashscope version does not ship {path.name}")
    return path


def tiny_config() -> dict[str, Any]:
    return json.loads((GOLDEN_DIR / "config.json").read_text(encoding="utf-8"))


def chat_generation_config() -> dict[str, Any]:
    return json.loads((GOLDEN_DIR / "generation_config.json").read_text(encoding="utf-8"))


def official_parameter_shapes(config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Every key of the official ``QWenLMHeadModel.state_dict()`` for ``config``, with its shape."""
    hidden, vocab = config["hidden_size"], config["vocab_size"]
    projection = config["kv_channels"] * config["num_attention_heads"]
    mlp = config["intermediate_size"] // 2
    bias = not config.get("no_bias", True)
    shapes: dict[str, tuple[int, ...]] = {"lm_head.weight": (vocab, hidden), "transformer.wte.weight": (vocab, hidden)}
    for i in range(config["num_hidden_layers"]):
        p = f"transformer.h.{i}."
        shapes[p + "ln_1.weight"] = (hidden,)
        shapes[p + "attn.c_attn.weight"] = (3 * projection, hidden)
        shapes[p + "attn.c_attn.bias"] = (3 * projection,)
        shapes[p + "attn.c_proj.weight"] = (projection, hidden)
        shapes[p + "ln_2.weight"] = (hidden,)
        shapes[p + "mlp.w1.weight"] = (mlp, hidden)
        shapes[p + "mlp.w2.weight"] = (mlp, hidden)
        shapes[p + "mlp.c_proj.weight"] = (hidden, mlp)
        if bias:
            for name, size in (("attn.c_proj", projection), ("mlp.w1", mlp), ("mlp.w2", mlp), ("mlp.c_proj", hidden)):
                shapes[p + name + ".bias"] = (size,)
    shapes["transformer.ln_f.weight"] = (hidden,)
    shapes.update(_visual_shapes(config["visual"]))
    return shapes


def _visual_shapes(visual: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    width, out, patch = visual["width"], visual["output_dim"], visual["patch_size"]
    mlp = int(width * visual["mlp_ratio"])
    v = "transformer.visual."
    shapes: dict[str, tuple[int, ...]] = {
        v + "conv1.weight": (width, 3, patch, patch),
        v + "positional_embedding": (256, width),
        v + "ln_pre.weight": (width,),
        v + "ln_pre.bias": (width,),
    }
    for i in range(visual["layers"]):
        b = f"{v}transformer.resblocks.{i}."
        for name, shape in (
            ("ln_1.weight", (width,)), ("ln_1.bias", (width,)),
            ("attn.in_proj.weight", (3 * width, width)), ("attn.in_proj.bias", (3 * width,)),
            ("attn.out_proj.weight", (width, width)), ("attn.out_proj.bias", (width,)),
            ("ln_2.weight", (width,)), ("ln_2.bias", (width,)),
            ("mlp.c_fc.weight", (mlp, width)), ("mlp.c_fc.bias", (mlp,)),
            ("mlp.c_proj.weight", (width, mlp)), ("mlp.c_proj.bias", (width,)),
        ):
            shapes[b + name] = shape
    a = v + "attn_pool."
    shapes[a + "pos_embed"] = (256, out)
    shapes[a + "query"] = (256, out)
    if width != out:
        shapes[a + "kv_proj.weight"] = (out, width)
    for name, shape in (
        ("attn.in_proj_weight", (3 * out, out)), ("attn.in_proj_bias", (3 * out,)),
        ("attn.out_proj.weight", (out, out)), ("attn.out_proj.bias", (out,)),
        ("ln_q.weight", (out,)), ("ln_q.bias", (out,)), ("ln_kv.weight", (out,)), ("ln_kv.bias", (out,)),
    ):
        shapes[a + name] = shape
    shapes[v + "ln_post.weight"] = (out,)
    shapes[v + "ln_post.bias"] = (out,)
    shapes[v + "proj"] = (out, out)
    return shapes


def sincos_table(dim: int, grid: int = 16) -> torch.Tensor:
    """The fixed 2-D sin-cos table: channels [0, D/2) encode the column, [D/2, D) the row (float32)."""
    quarter = dim // 4
    exponents = np.arange(quarter, dtype=np.float32) / np.float32(quarter)
    omega = (np.float32(1.0) / np.power(np.float32(10000), exponents)).astype(np.float32)
    cols, rows = np.meshgrid(np.arange(grid, dtype=np.float32), np.arange(grid, dtype=np.float32))

    def encode(values: np.ndarray) -> np.ndarray:
        angles = np.einsum("m,d->md", values.reshape(-1), omega)
        return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)

    return torch.from_numpy(np.concatenate([encode(cols), encode(rows)], axis=1).astype(np.float32))


def recipe_tensor(key: str, shape: tuple[int, ...], config: dict[str, Any]) -> torch.Tensor:
    if key == "transformer.visual.attn_pool.pos_embed":
        return sincos_table(config["visual"]["output_dim"])
    generator = torch.Generator(device="cpu").manual_seed(zlib.crc32(key.encode("utf-8")))
    tensor = torch.randn(shape, generator=generator, dtype=torch.float32) * 0.02
    parts = key.split(".")
    if parts[-1] == "weight" and len(parts) >= 2 and parts[-2] in NORM_NAMES:
        tensor = tensor + 1.0
    return tensor


def recipe_state_dict(config: dict[str, Any]) -> dict[str, torch.Tensor]:
    return {key: recipe_tensor(key, shape, config) for key, shape in official_parameter_shapes(config).items()}


def write_checkpoint(
    folder: Path,
    state_dict: dict[str, torch.Tensor],
    config: dict[str, Any],
    generation_config: dict[str, Any] | None,
    *,
    weight_format: WeightFormat = "safetensors",
    shards: int = 2,
) -> Path:
    """Save in the official layout: configs, ``qwen.tiktoken``, shards and their index."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    if generation_config is not None:
        (folder / "generation_config.json").write_text(json.dumps(generation_config, indent=2), encoding="utf-8")
    shutil.copyfile(qwen_tiktoken_path(), folder / "qwen.tiktoken")
    keys = list(state_dict)
    stem, suffix, index_name = (
        ("model", "safetensors", "model.safetensors.index.json")
        if weight_format == "safetensors"
        else ("pytorch_model", "bin", "pytorch_model.bin.index.json")
    )
    weight_map: dict[str, str] = {}
    for shard in range(shards):
        name = f"{stem}-{shard + 1:05d}-of-{shards:05d}.{suffix}"
        part = {k: state_dict[k].contiguous() for k in keys[shard::shards]}
        if weight_format == "safetensors":
            from safetensors.torch import save_file

            save_file(part, str(folder / name), metadata={"format": "pt"})
        else:
            torch.save(part, folder / name)
        weight_map.update({k: name for k in part})
    total = sum(t.numel() * t.element_size() for t in state_dict.values())
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (folder / index_name).write_text(json.dumps(index, indent=2), encoding="utf-8")
    return folder


def write_tiny_checkpoint(
    folder: Path,
    *,
    chat_format: Literal["chatml", "raw"] = "chatml",
    weight_format: WeightFormat = "safetensors",
    shards: int = 2,
    config_overrides: dict[str, Any] | None = None,
) -> Path:
    """The recipe checkpoint under ``folder``; ``chat_format="raw"`` gives a base-model generation config."""
    config = copy.deepcopy(tiny_config())
    config.update(config_overrides or {})
    generation = chat_generation_config()
    if chat_format == "raw":
        generation = {k: v for k, v in generation.items() if k not in ("chat_format", "max_window_size")}
    return write_checkpoint(
        folder, recipe_state_dict(config), config, generation, weight_format=weight_format, shards=shards
    )


@functools.lru_cache(maxsize=None)
def tiny_checkpoint(
    chat_format: Literal["chatml", "raw"] = "chatml", weight_format: WeightFormat = "safetensors"
) -> Path:
    """The recipe checkpoint, built once per test process in a temporary folder removed at exit."""
    root = Path(tempfile.mkdtemp(prefix="evalkit-tiny-qwen-vl-"))
    atexit.register(shutil.rmtree, root, True)
    return write_tiny_checkpoint(
        root / f"tiny-{chat_format}-{weight_format}", chat_format=chat_format, weight_format=weight_format
    )


@functools.lru_cache(maxsize=None)
def tiny_model(chat_format: Literal["chatml", "raw"] = "chatml") -> Any:
    """The recipe checkpoint loaded through ``evalkit.models.qwen_vl.load`` (CPU, fp32), once per process."""
    from evalkit.models.qwen_vl import load

    return load(str(tiny_checkpoint(chat_format)), device="cpu", dtype="fp32")
