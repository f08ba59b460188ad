"""``load(source, **model_args)``: an official Qwen-VL checkpoint as an evalkit ``Model``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalkit.errors import ModelLoadError
from evalkit.models.base import ModelIdentity
from evalkit.models.qwen_vl.adapter import QwenVL
from evalkit.models.qwen_vl.checkpoint import fetch_weights, load_network, resolve, weights_fingerprint
from evalkit.models.qwen_vl.config import load_config, load_generation_defaults
from evalkit.models.qwen_vl.options import parse_options
from evalkit.models.qwen_vl.tokenizer import QwenTokenizer


def load(source: str, **model_args: Any) -> QwenVL:
    """Load a checkpoint folder or hub id; ``model_args``: ``device``, ``dtype``, ``rope_positions``."""
    options = parse_options(model_args)
    checkpoint = resolve(source)
    folder = checkpoint.folder
    config = load_config(folder)
    defaults = load_generation_defaults(folder)
    vocab = folder / "qwen.tiktoken"
    if not vocab.is_file():
        raise ModelLoadError(f"{folder} has no qwen.tiktoken; copy it from the official Qwen-VL checkpoint")
    tokenizer = QwenTokenizer.from_file(vocab, image_span=config.visual.n_queries)
    if len(tokenizer) > config.vocab_size:
        raise ModelLoadError(
            f"{vocab.name} gives {len(tokenizer)} tokens but config.json has vocab_size {config.vocab_size}"
        )
    dtype = options.torch_dtype(config)
    folder = fetch_weights(checkpoint)
    network = load_network(folder, config, dtype, options.device)
    identity = ModelIdentity(
        name=folder.name if Path(source).expanduser().is_dir() else source,
        backend="qwen-vl",
        source=source,
        revision=checkpoint.revision,
        dtype=str(dtype).removeprefix("torch."),
        extra={
            "weights_fingerprint": weights_fingerprint(folder),
            "chat_format": defaults.chat_format,
            "rope_positions": options.rope_positions,
        },
    )
    return QwenVL(network, tokenizer, defaults, identity, options.rope_positions)
