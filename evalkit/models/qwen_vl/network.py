"""The Qwen-VL network: embeddings with image features written in, the decoder blocks, the LM head.

Reproduces ``QWenLMHeadModel`` of the official ``modeling_qwen.py`` at inference, with the official
module names (``transformer.wte``, ``transformer.h.N.attn.c_attn`` …, ``lm_head``) so checkpoints load
key for key:

* pre-RMSNorm blocks (eps from the config, normalised in float32); ``c_attn`` gives q|k|v as three
  contiguous blocks and has a bias; ``c_proj`` and the MLP have none (``no_bias``);
  MLP = ``c_proj(w1(x) * silu(w2(x)))``;
* attention scores scaled by 1/sqrt(head_dim), RoPE / NTK / log-n as in ``positions.py``;
* the 256 image features of each ``<img>`` span replace the embeddings at ``<img>+1 … </img>-1``, only
  on the prefill; ``<img>`` and ``</img>`` keep their own embeddings;
* embedding and LM head are separate matrices without bias.

The batch may be left padded: ``valid`` marks real tokens and pads are never attended to.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from evalkit.models.qwen_vl.config import QwenVLConfig
from evalkit.models.qwen_vl.kv_cache import KVCache
from evalkit.models.qwen_vl.positions import (
    RopePositions,
    RotaryTables,
    apply_rotary,
    inverse_frequencies,
    layout_for,
    ntk_alpha,
    rotary_tables,
)
from evalkit.models.qwen_vl.vision import VisionTower


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.float()
        normed = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return normed.type_as(x) * self.weight


class Attention(nn.Module):
    def __init__(self, config: QwenVLConfig) -> None:
        super().__init__()
        self.heads = config.num_attention_heads
        self.head_dim = config.head_dim
        projection = config.kv_channels * config.num_attention_heads
        self.c_attn = nn.Linear(config.hidden_size, 3 * projection)
        self.c_proj = nn.Linear(projection, config.hidden_size, bias=not config.no_bias)

    def forward(
        self, x: torch.Tensor, rotary: RotaryTables, mask: torch.Tensor | None, cache: KVCache, layer: int
    ) -> torch.Tensor:
        batch, tokens, _ = x.shape
        q, k, v = (t.view(batch, tokens, self.heads, self.head_dim) for t in self.c_attn(x).chunk(3, dim=-1))
        q = apply_rotary(q, rotary.cos, rotary.sin)
        k = apply_rotary(k, rotary.cos, rotary.sin)
        if rotary.logn is not None:
            q = q * rotary.logn
        keys, values = cache.store(layer, k.transpose(1, 2), v.transpose(1, 2))
        causal = mask is None and tokens > 1
        out = F.scaled_dot_product_attention(q.transpose(1, 2), keys, values, attn_mask=mask, is_causal=causal)
        return self.c_proj(out.transpose(1, 2).reshape(batch, tokens, -1))


class MLP(nn.Module):
    def __init__(self, config: QwenVLConfig) -> None:
        super().__init__()
        bias = not config.no_bias
        self.w1 = nn.Linear(config.hidden_size, config.mlp_width, bias=bias)
        self.w2 = nn.Linear(config.hidden_size, config.mlp_width, bias=bias)
        self.c_proj = nn.Linear(config.mlp_width, config.hidden_size, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(self.w1(x) * F.silu(self.w2(x)))


class Block(nn.Module):
    def __init__(self, config: QwenVLConfig) -> None:
        super().__init__()
        self.ln_1 = RMSNorm(config.hidden_size, config.layer_norm_epsilon)
        self.attn = Attention(config)
        self.ln_2 = RMSNorm(config.hidden_size, config.layer_norm_epsilon)
        self.mlp = MLP(config)

    def forward(
        self, x: torch.Tensor, rotary: RotaryTables, mask: torch.Tensor | None, cache: KVCache, layer: int
    ) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), rotary, mask, cache, layer)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    """``transformer.*``: embeddings, blocks, final norm and the vision tower."""

    def __init__(self, config: QwenVLConfig) -> None:
        super().__init__()
        self.wte = nn.Embedding(config.vocab_size, config.hidden_size)
        self.h = nn.ModuleList(Block(config) for _ in range(config.num_hidden_layers))
        self.ln_f = RMSNorm(config.hidden_size, config.layer_norm_epsilon)
        self.visual = VisionTower(config.visual)


class QwenVLNetwork(nn.Module):
    def __init__(self, config: QwenVLConfig) -> None:
        super().__init__()
        self.config = config
        self.transformer = Transformer(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)

    @property
    def dtype(self) -> torch.dtype:
        return self.lm_head.weight.dtype

    @property
    def device(self) -> torch.device:
        return self.lm_head.weight.device

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        """(n, 3, 448, 448) pixels to (n, 256, hidden) image features, in one vision batch."""
        return self.transformer.visual(pixels)

    def new_cache(
        self, valid: torch.Tensor, capacity: int, mode: RopePositions, extra_tokens: torch.Tensor | None = None
    ) -> KVCache:
        """An empty cache for a left-padded prefill; fixes each row's positions and NTK alpha."""
        config = self.config
        layout = layout_for(valid, extra_tokens, mode)
        if config.use_dynamic_ntk:
            alphas = [ntk_alpha(int(n), config.seq_length) for n in layout.ntk_length.tolist()]
        else:
            alphas = [1] * valid.size(0)
        by_alpha = {a: inverse_frequencies(config.head_dim, config.rotary_emb_base, a) for a in set(alphas)}
        inv_freq = torch.stack([by_alpha[a] for a in alphas])
        return KVCache(
            config.num_hidden_layers, valid.size(0), config.num_attention_heads, config.head_dim, capacity,
            shift=layout.shift, inv_freq=inv_freq, dtype=self.dtype, device=self.device,
        )

    def forward(
        self,
        input_ids: torch.Tensor,
        cache: KVCache,
        *,
        valid: torch.Tensor | None = None,
        image_features: torch.Tensor | None = None,
        hidden_states: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Final hidden states (after ``ln_f``) of ``input_ids`` appended to ``cache``.

        ``valid`` (batch, tokens) marks real tokens (default: all). ``image_features`` fill the
        ``<img>`` spans of ``input_ids`` in row-major order. When a list is passed as
        ``hidden_states`` it receives every block's input and the final output.
        """
        config = self.config
        input_ids = input_ids.to(self.device)
        tokens = input_ids.size(1)
        start = cache.length
        x = self.transformer.wte(input_ids)
        if image_features is not None:
            x = self._write_images(x, input_ids, image_features)
        cache.key_valid[:, start : start + tokens] = True if valid is None else valid.to(self.device)
        positions = start + torch.arange(tokens, device=self.device).unsqueeze(0) - cache.shift.unsqueeze(1)
        rotary = rotary_tables(positions, cache.inv_freq, config.seq_length, config.use_logn_attn, x.dtype)
        mask = _attention_mask(cache.key_valid[:, : start + tokens], start, tokens)
        for layer, block in enumerate(self.transformer.h):
            if hidden_states is not None:
                hidden_states.append(x)
            x = block(x, rotary, mask, cache, layer)
        cache.length = start + tokens
        x = self.transformer.ln_f(x)
        if hidden_states is not None:
            hidden_states.append(x)
        return x

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.lm_head(hidden)

    def _write_images(self, x: torch.Tensor, input_ids: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        config = self.config
        starts = (input_ids == config.image_start_id).nonzero()
        if starts.size(0) != features.size(0):
            raise ValueError(f"{starts.size(0)} <img> spans in the ids but {features.size(0)} images were given")
        span = config.visual.n_queries
        ends = starts[:, 1] + span + 1
        if bool((ends >= input_ids.size(1)).any()) or bool(
            (input_ids[starts[:, 0], ends.clamp(max=input_ids.size(1) - 1)] != config.image_start_id + 1).any()
        ):
            raise ValueError(f"every <img> must be followed by {span} ids and </img>; a span is cut or malformed")
        rows = starts[:, :1].expand(-1, span)
        cols = starts[:, 1:] + 1 + torch.arange(span, device=x.device)
        x[rows, cols] = features.to(dtype=x.dtype, device=x.device)
        return x


def _attention_mask(key_valid: torch.Tensor, start: int, tokens: int) -> torch.Tensor | None:
    """Boolean (batch, 1, tokens, keys) mask, or None where plain causal attention is exact."""
    if bool(key_valid.all()) and (start == 0 or tokens == 1):
        return None
    keys = key_valid.size(1)
    query_pos = start + torch.arange(tokens, device=key_valid.device).unsqueeze(1)
    key_pos = torch.arange(keys, device=key_valid.device).unsqueeze(0)
    mask = key_valid.unsqueeze(1) & (key_pos <= query_pos).unsqueeze(0)
    # A padding query sees no real key; letting it see itself keeps its softmax finite.
    mask |= (key_pos == query_pos).unsqueeze(0)
    return mask.unsqueeze(1)
