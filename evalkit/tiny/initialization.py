"""Initial weights of a Qwen-VL network trained from scratch, following the official initialisation.

``modeling_qwen.py`` draws linear and embedding weights from N(0, 0.02) and zeroes biases; ``visual.py``
draws the resampler queries from N(0, 0.02), the output projection from N(0, 1/sqrt(width)), the
ViT position table from N(0, 1/sqrt(width)), and fixes the resampler's ``pos_embed`` to the 2-D
sin-cos table (channels [0, D/2) encode the column, [D/2, D) the row).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from evalkit.models.qwen_vl.network import QwenVLNetwork


def sincos_grid(dim: int, grid: int = 16) -> torch.Tensor:
    """The fixed (grid*grid, dim) 2-D sin-cos position table of the resampler."""
    quarter = dim // 4
    omega = 1.0 / (10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter))
    rows, cols = torch.meshgrid(torch.arange(grid, dtype=torch.float64), torch.arange(grid, dtype=torch.float64),
                                indexing="ij")

    def encode(values: torch.Tensor) -> torch.Tensor:
        angles = values.reshape(-1, 1) * omega.reshape(1, -1)
        return torch.cat([angles.sin(), angles.cos()], dim=1)

    return torch.cat([encode(cols), encode(rows)], dim=1).float()


@torch.no_grad()
def initialize(network: QwenVLNetwork, seed: int) -> None:
    """Fill ``network`` with fresh weights drawn from ``seed`` (same seed, same weights)."""
    generator = torch.Generator().manual_seed(seed)
    for module in network.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.normal_(0.0, 0.02, generator=generator)
            bias = getattr(module, "bias", None)
            if bias is not None:
                bias.zero_()
        elif isinstance(module, nn.MultiheadAttention):
            module.in_proj_weight.normal_(0.0, 0.02, generator=generator)
            module.in_proj_bias.zero_()
            module.out_proj.weight.normal_(0.0, 0.02, generator=generator)
            module.out_proj.bias.zero_()
        elif isinstance(module, nn.Conv2d):
            module.weight.normal_(0.0, 0.02, generator=generator)
        elif isinstance(module, nn.LayerNorm):
            module.weight.fill_(1.0)
            module.bias.zero_()
    visual = network.transformer.visual
    width = visual.conv1.out_channels
    visual.positional_embedding.normal_(0.0, 1 / math.sqrt(width), generator=generator)
    visual.proj.normal_(0.0, 1 / math.sqrt(visual.proj.size(0)), generator=generator)
    visual.attn_pool.query.normal_(0.0, 0.02, generator=generator)
    visual.attn_pool.pos_embed.copy_(sincos_grid(visual.attn_pool.pos_embed.size(1)))
