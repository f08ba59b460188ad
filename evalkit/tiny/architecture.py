"""The sizes of ``qwen-vl-tiny`` and the official ``config.json`` / ``generation_config.json`` they give.

Everything not listed here is fixed by the Qwen-VL architecture: a resampler head width of 128,
RMSNorm, SwiGLU, RoPE. The resampler's queries (one image token each, the ``<img>`` span of the
tokenizer) are 256 in the official checkpoints; a tiny model may have fewer, a square number, and
its ``config.json`` then says how many (``visual.n_queries``, which the loader reads).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from evalkit.models.qwen_vl.tokenizer import QwenTokenizer


@dataclass(frozen=True)
class TinyArchitecture:
    hidden_size: int = 128  # also the resampler's output width, a multiple of 128
    head_dim: int = 32
    layers: int = 4
    mlp_width: int = 512  # each SwiGLU branch; config.json's intermediate_size is twice this
    vision_width: int = 192
    vision_layers: int = 4
    vision_head_dim: int = 64
    vision_mlp_ratio: float = 4.0
    image_size: int = 64
    patch_size: int = 8
    queries: int = 256  # resampler queries: image tokens per image, a square number

    def config_json(self, tokenizer: QwenTokenizer) -> dict[str, Any]:
        """``config.json`` in the official Qwen-VL schema for a model with ``tokenizer``'s vocabulary."""
        return {
            "architectures": ["QWenLMHeadModel"],
            "model_type": "qwen",
            "vocab_size": len(tokenizer),
            "hidden_size": self.hidden_size,
            "num_attention_heads": self.hidden_size // self.head_dim,
            "kv_channels": self.head_dim,
            "num_hidden_layers": self.layers,
            "intermediate_size": 2 * self.mlp_width,
            "layer_norm_epsilon": 1e-6,
            "rotary_emb_base": 10000,
            "rotary_pct": 1.0,
            "seq_length": 2048,
            "use_dynamic_ntk": True,
            "use_logn_attn": True,
            "no_bias": True,
            "bf16": False,
            "fp16": False,
            "fp32": True,
            "tie_word_embeddings": False,
            "visual": {
                "heads": self.vision_width // self.vision_head_dim,
                "image_size": self.image_size,
                "image_start_id": tokenizer.img_start_id,
                "layers": self.vision_layers,
                "mlp_ratio": self.vision_mlp_ratio,
                "output_dim": self.hidden_size,
                "patch_size": self.patch_size,
                "width": self.vision_width,
                # the official schema has no such field: its checkpoints all have 256
                **({"n_queries": self.queries} if self.queries != 256 else {}),
            },
            "evalkit_tiny_architecture": asdict(self),
        }


def generation_config_json(tokenizer: QwenTokenizer) -> dict[str, Any]:
    """``generation_config.json``: ChatML, and the vocabulary's own ``<|endoftext|>`` id as eos and pad."""
    return {
        "chat_format": "chatml",
        "eos_token_id": tokenizer.eod_id,
        "pad_token_id": tokenizer.eod_id,
        "max_window_size": 1024,
        "max_new_tokens": 512,
        "do_sample": False,
    }
