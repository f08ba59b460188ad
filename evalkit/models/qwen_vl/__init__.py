"""Qwen-VL and Qwen-VL-Chat on evalkit's own implementation (no ``trust_remote_code``).

``load(source, **model_args)`` reads an official checkpoint (a local folder, or a hub id such as
``Qwen/Qwen-VL-Chat`` through the Hugging Face cache) and returns an evalkit ``Model``. The modules:

* ``config``: ``config.json`` / ``generation_config.json`` in the official schema;
* ``checkpoint``: finding the files, loading sharded safetensors or ``.bin`` weights, fingerprinting;
* ``tokenizer`` and ``prompt``: the tiktoken vocabulary with the official specials; raw and ChatML prompts;
* ``image_processing``, ``vision``: pixels, the ViT and the position-aware resampler;
* ``positions``, ``kv_cache``, ``network``: the language model (RoPE, dynamic NTK, log-n);
* ``generation``, ``likelihood``: batched greedy decoding; choice scoring on a shared prompt;
* ``adapter`` and ``loader``: the evalkit ``Model`` and ``load``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evalkit.models.qwen_vl.prompt import RenderedPrompt, official_chat_response, render_prompt, render_prompt_text

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.models.qwen_vl.adapter import QwenVL


def load(source: str, **model_args: Any) -> "QwenVL":
    """Load a checkpoint folder or hub id; ``model_args``: ``device``, ``dtype``, ``rope_positions``."""
    from evalkit.models.qwen_vl.loader import load as _load

    return _load(source, **model_args)


def __getattr__(name: str) -> Any:
    # Rendering prompts (``evalkit describe``) needs no torch; the model class imports it on first use.
    if name == "QwenVL":
        from evalkit.models.qwen_vl.adapter import QwenVL

        return QwenVL
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["QwenVL", "RenderedPrompt", "load", "official_chat_response", "render_prompt", "render_prompt_text"]
