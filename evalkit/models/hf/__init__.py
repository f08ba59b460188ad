"""The Hugging Face backend: image-text-to-text models (Qwen2-VL, Qwen2.5-VL and the like).

``load(source, **model_args)`` takes a checkpoint folder or a hub id and returns an evalkit
``Model`` of family ``"chat"``. Model args (``--model-args k=v,...`` or keywords from Python):

- ``device``: ``cpu``, ``cuda`` or ``cuda:N``; default ``cuda`` when available.
- ``dtype``: ``bf16``, ``fp16``, ``fp32`` or ``auto`` (the checkpoint's own); default ``auto``
  on CUDA and ``fp32`` on CPU.
- ``revision``: hub branch, tag or commit; the resolved commit is part of the model identity.
- ``attn_implementation``: passed to transformers (``eager``, ``sdpa``, ``flash_attention_2``).
- ``trust_remote_code``: off by default; ``true`` lets transformers run Python code shipped
  with the checkpoint, for architectures it does not know. Only switch it on for checkpoints
  whose code you trust.
- ``min_pixels`` / ``max_pixels``: image area bounds for Qwen2-VL-style processors.

Hub ids are fetched into the Hugging Face cache (only configs, tokenizer files and safetensors
weights); with ``HF_HUB_OFFLINE=1`` only the cache is used. Prompts are rendered through the
checkpoint's chat template (see ``render``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.models.hf.model import HFModel


def load(source: str, **model_args: Any) -> HFModel:
    """Load a Hugging Face image-text-to-text checkpoint folder or hub id as an evalkit ``Model``."""
    from evalkit.models.hf.loading import load as _load

    return _load(source, **model_args)


__all__ = ["load"]
