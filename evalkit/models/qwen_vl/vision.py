"""The Qwen-VL vision tower: a ViT over 14×14 patches and the position-aware resampler.

Reproduces ``visual.py`` of the official Qwen-VL-Chat repository (module and parameter names
included, so the official checkpoint keys load as they are):

* ``conv1`` (no bias) cuts 448×448 pixels into 32×32 patches; the learned 16×16 position table is
  interpolated bicubically (``align_corners=False``) to 32×32 and added; then ``ln_pre``.
* Pre-LayerNorm residual blocks (eps 1e-6, exact GELU). The fused ``in_proj`` output is laid out per
  head as ``[q_h, k_h, v_h]``, not as torch's ``[q, k, v]``.
* The resampler: 256 learned queries (``ln_q``) plus the fixed 16×16 2-D sin-cos table attend, with a
  standard ``nn.MultiheadAttention`` of ``output_dim / 128`` heads, over ``ln_kv(kv_proj(x))``; keys add
  the sin-cos table interpolated to 32×32, values do not.
* ``ln_post`` and a right multiplication by ``proj`` give 256 embeddings of the LM's width per image.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from evalkit.models.qwen_vl.config import VisualConfig


def resize_position_table(table: torch.Tensor, length: int) -> torch.Tensor:
    """A square (n, C) position table interpolated bicubically to (length, C), computed in float32."""
    source = int(math.isqrt(table.size(0)))
    target = int(math.isqrt(length))
    if source == target:
        return table
    grid = table.float().reshape(1, source, source, -1).permute(0, 3, 1, 2)
    resized = F.interpolate(grid, size=(target, target), mode="bicubic", align_corners=False)
    return resized.permute(0, 2, 3, 1).flatten(0, 2).to(table.dtype)


class VisualAttention(nn.Module):
    """Self-attention whose fused projection is grouped per head: ``[q_h, k_h, v_h]`` for each head."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.head_dim = width // heads
        self.in_proj = nn.Linear(width, 3 * width)
        self.out_proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        fused = self.in_proj(x).view(batch, length, self.heads, 3 * self.head_dim)
        q, k, v = (t.transpose(1, 2) for t in fused.split(self.head_dim, dim=-1))
        out = F.scaled_dot_product_attention(q, k, v)
        return self.out_proj(out.transpose(1, 2).reshape(batch, length, width))


class VisualBlock(nn.Module):
    def __init__(self, width: int, heads: int, mlp_width: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(width, eps=1e-6)
        self.attn = VisualAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width, eps=1e-6)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, mlp_width))
        self.mlp.add_module("gelu", nn.GELU())
        self.mlp.add_module("c_proj", nn.Linear(mlp_width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class VisualTransformer(nn.Module):
    """The stack of residual blocks (``visual.transformer.resblocks``)."""

    def __init__(self, width: int, layers: int, heads: int, mlp_width: int) -> None:
        super().__init__()
        self.resblocks = nn.ModuleList(VisualBlock(width, heads, mlp_width) for _ in range(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.resblocks:
            x = block(x)
        return x


class Resampler(nn.Module):
    """One cross-attention layer from 256 learned queries to the patch features."""

    def __init__(self, n_queries: int, embed_dim: int, heads: int, kv_dim: int) -> None:
        super().__init__()
        self.pos_embed = nn.Parameter(torch.zeros(n_queries, embed_dim), requires_grad=False)
        self.query = nn.Parameter(torch.zeros(n_queries, embed_dim))
        self.kv_proj: nn.Module = nn.Linear(kv_dim, embed_dim, bias=False) if kv_dim != embed_dim else nn.Identity()
        self.attn = nn.MultiheadAttention(embed_dim, heads, batch_first=True)
        self.ln_q = nn.LayerNorm(embed_dim, eps=1e-6)
        self.ln_kv = nn.LayerNorm(embed_dim, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        key_pos = resize_position_table(self.pos_embed, x.size(1))
        kv = self.ln_kv(self.kv_proj(x))
        queries = (self.ln_q(self.query) + self.pos_embed).unsqueeze(0).expand(x.size(0), -1, -1)
        out, _ = self.attn(queries, kv + key_pos, kv, need_weights=False)
        return out


class VisionTower(nn.Module):
    """Pixels (n, 3, 448, 448) to image embeddings (n, 256, output_dim); ``transformer.visual``."""

    def __init__(self, config: VisualConfig) -> None:
        super().__init__()
        width = config.width
        self.conv1 = nn.Conv2d(3, width, kernel_size=config.patch_size, stride=config.patch_size, bias=False)
        self.positional_embedding = nn.Parameter(torch.zeros(config.n_queries, width))
        self.ln_pre = nn.LayerNorm(width, eps=1e-6)
        self.transformer = VisualTransformer(width, config.layers, config.heads, config.mlp_width)
        self.attn_pool = Resampler(config.n_queries, config.output_dim, config.resampler_heads, kv_dim=width)
        self.ln_post = nn.LayerNorm(config.output_dim, eps=1e-6)
        self.proj = nn.Parameter(torch.zeros(config.output_dim, config.output_dim))

    def embed_patches(self, pixels: torch.Tensor) -> torch.Tensor:
        """Patch embeddings plus the interpolated position table (the input of ``ln_pre``)."""
        weight = self.conv1.weight
        patches = self.conv1(pixels.to(dtype=weight.dtype, device=weight.device))
        patches = patches.flatten(2).transpose(1, 2)
        return patches + resize_position_table(self.positional_embedding, patches.size(1))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.transformer(self.ln_pre(self.embed_patches(pixels)))
        return self.ln_post(self.attn_pool(x)) @ self.proj
